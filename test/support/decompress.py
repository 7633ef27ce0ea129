"""Writes an uncompressed (Explicit VR Little Endian) copy of a compressed DICOM file,
with decoders other than the gateway's: DCMTK (dcmdjpeg +cp, dcmdjpls, dcmdrle) for the
JPEG, JPEG-LS and RLE families, pydicom with Pillow/OpenJPEG for JPEG 2000.

Usage: python3 decompress.py IN OUT   (exit 3 when no decoder here handles IN)
"""
import subprocess
import sys

import pydicom
from pydicom.uid import ExplicitVRLittleEndian

DCMTK = {
    "1.2.840.10008.1.2.4.50": ["dcmdjpeg", "+cp"], "1.2.840.10008.1.2.4.51": ["dcmdjpeg", "+cp"],
    "1.2.840.10008.1.2.4.57": ["dcmdjpeg", "+cp"], "1.2.840.10008.1.2.4.70": ["dcmdjpeg", "+cp"],
    "1.2.840.10008.1.2.4.80": ["dcmdjpls"], "1.2.840.10008.1.2.4.81": ["dcmdjpls"],
    "1.2.840.10008.1.2.5": ["dcmdrle"],
}
src, dst = sys.argv[1], sys.argv[2]
ds = pydicom.dcmread(src)
ts = str(ds.file_meta.TransferSyntaxUID)
if ts in DCMTK:
    sys.exit(subprocess.run([*DCMTK[ts], src, dst]).returncode)
if ts in ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"):
    ds.decompress()
    if str(ds.PhotometricInterpretation).startswith("YBR"):
        ds.PhotometricInterpretation = "RGB"
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(dst, write_like_original=False)
    sys.exit(0)
sys.exit(3)
