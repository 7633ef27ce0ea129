/**
 * Query levels and their return attributes.
 * Required: PS3.18 Table 10.6.3-3 (study), 10.6.3-4 (series), 10.6.3-5 (instance).
 * "all" (includefield=all, PS3.18 §8.3.4.3): the gateway's definition is the required
 * set plus the other attributes of the Patient, General Study/Patient Study,
 * General Series and General Image / Image Pixel / SOP Common modules that an
 * archive indexes or can read from a stored instance; listed in conformance/README.md.
 */
export type QueryLevel = 'study' | 'series' | 'instance';

export const REQUIRED_ATTRIBUTES: Record<QueryLevel, readonly string[]> = {
  study: [
    'StudyDate', 'StudyTime', 'AccessionNumber', 'InstanceAvailability', 'ModalitiesInStudy',
    'ReferringPhysicianName', 'TimezoneOffsetFromUTC', 'RetrieveURL', 'PatientName', 'PatientID',
    'PatientBirthDate', 'PatientSex', 'StudyInstanceUID', 'StudyID', 'NumberOfStudyRelatedSeries',
    'NumberOfStudyRelatedInstances',
  ],
  series: [
    'Modality', 'TimezoneOffsetFromUTC', 'SeriesDescription', 'RetrieveURL', 'SeriesInstanceUID',
    'SeriesNumber', 'NumberOfSeriesRelatedInstances', 'PerformedProcedureStepStartDate',
    'PerformedProcedureStepStartTime', 'RequestAttributesSequence',
  ],
  instance: [
    'SOPClassUID', 'SOPInstanceUID', 'InstanceAvailability', 'TimezoneOffsetFromUTC', 'RetrieveURL',
    'InstanceNumber', 'Rows', 'Columns', 'BitsAllocated', 'NumberOfFrames',
  ],
};

const STUDY_ALL = [
  'IssuerOfPatientID', 'OtherPatientIDsSequence', 'PatientAge', 'PatientSize', 'PatientWeight',
  'EthnicGroup', 'PatientComments', 'StudyDescription', 'ProcedureCodeSequence', 'NameOfPhysiciansReadingStudy',
  'AdmittingDiagnosesDescription', 'InstitutionName', 'RequestedProcedureDescription',
];

const SERIES_ALL = [
  'SeriesDate', 'SeriesTime', 'BodyPartExamined', 'ProtocolName', 'Laterality', 'PatientPosition',
  'Manufacturer', 'ManufacturerModelName', 'StationName', 'OperatorsName', 'PerformingPhysicianName',
  'FrameOfReferenceUID', 'StudyInstanceUID',
];

const INSTANCE_ALL = [
  'SeriesInstanceUID', 'StudyInstanceUID', 'ContentDate', 'ContentTime', 'AcquisitionDate', 'AcquisitionTime',
  'ImageType', 'ImageComments', 'SamplesPerPixel', 'PhotometricInterpretation', 'BitsStored', 'HighBit',
  'PixelRepresentation', 'PixelSpacing', 'SliceThickness', 'SliceLocation', 'ImagePositionPatient',
  'ImageOrientationPatient', 'WindowCenter', 'WindowWidth', 'RescaleIntercept', 'RescaleSlope',
  'TransferSyntaxUID', 'AcquisitionNumber',
];

export const ALL_ATTRIBUTES: Record<QueryLevel, readonly string[]> = {
  study: [...REQUIRED_ATTRIBUTES.study, ...STUDY_ALL],
  series: [...REQUIRED_ATTRIBUTES.series, ...SERIES_ALL],
  instance: [...REQUIRED_ATTRIBUTES.instance, ...INSTANCE_ALL],
};

/**
 * Attributes an upstream search at this level can match on and return for the
 * levels above it (PS3.18 §10.6.1.2: a /series or /instances query spanning
 * studies also takes study-level keys).
 */
export function levelsIncluded(level: QueryLevel): QueryLevel[] {
  if (level === 'study') return ['study'];
  if (level === 'series') return ['study', 'series'];
  return ['study', 'series', 'instance'];
}

/** Levels whose required attributes a result carries (PS3.18 §10.6.3.3): higher levels unless scoped by the path. */
export function requiredLevels(level: QueryLevel, scopedToStudy: boolean): QueryLevel[] {
  if (level === 'study') return ['study'];
  if (level === 'series') return scopedToStudy ? ['series'] : ['study', 'series'];
  return scopedToStudy ? ['series', 'instance'] : ['study', 'series', 'instance'];
}
