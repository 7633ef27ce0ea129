// dcmjs ships no type declarations; these cover the parts the gateway uses.
declare module 'dcmjs' {
  export interface DictionaryEntry {
    tag: string;
    vr: string;
    vm: string;
    name: string;
    version?: string;
  }
  const dcmjs: {
    data: {
      DicomMetaDictionary: {
        nameMap: Record<string, DictionaryEntry>;
        dictionary: Record<string, DictionaryEntry>;
        punctuateTag(tag: string): string;
        unpunctuateTag(tag: string): string;
        naturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown>;
        denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown>;
        uid(): string;
      };
      DicomMessage: {
        readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): { meta: Record<string, unknown>; dict: Record<string, unknown> };
      };
      DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(options?: Record<string, unknown>): ArrayBuffer };
      datasetToDict(dataset: Record<string, unknown>): { dict: Record<string, unknown>; write(options?: Record<string, unknown>): ArrayBuffer };
      datasetToBuffer(dataset: Record<string, unknown>): Buffer;
    };
    [key: string]: unknown;
  };
  export default dcmjs;
}
