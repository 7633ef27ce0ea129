/**
 * Rendering in the gateway, for what the upstream cannot render (Orthanc
 * answers 400 for RGB 16-bit, 32-bit RT Dose, …): the stored Part 10 file is
 * decoded with dcmjs-imaging (VOI LUT per PS3.4 §N.2, window functions of
 * PS3.3 C.11.2.1.3) into 8-bit RGBA. RLE and 16-bit colour are prepared here
 * first, where dcmjs-imaging goes wrong (see native-pixels.ts); other compressed
 * frames are decoded by the gateway's codecs, so one set of WebAssembly codecs
 * serves frames and rendering.
 * This runs on the event loop (tens of ms for 512×512); it is the fallback path.
 */
import { createRequire } from 'node:module';
import imaging from 'dcmjs-imaging';
import { bufferSource, indexPart10, numberValue, Part10Error, type Part10Index } from '../../../dicom/part10/index.js';
import { CannotRenderError, frameOutOfRange } from './errors.js';
import type { RawImage } from './encode.js';
import type { WindowParam } from './params.js';
import { RLE_LOSSLESS, colour16ToRaw, decodedFrame, layoutOf, nativeFrame } from './native-pixels.js';

const { DicomImage, NativePixelDecoder, WindowLevel } = imaging;
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
const VOI_FUNCTION: Record<WindowParam['fn'], string> = { linear: 'LINEAR', 'linear-exact': 'LINEAR_EXACT', sigmoid: 'SIGMOID' };

export interface GatewayFrame {
  raw: RawImage;
  grayscale: boolean;
  /** Frames in the instance. */
  frames: number;
}

let quiet = false;
let imagingDecoders: Promise<void> | undefined;

/** Silences the libraries' console logging, once. */
function silenceImaging(): void {
  if (quiet) return;
  quiet = true;
  imaging.log.setLevel('silent');
  try {
    // dcmjs-imaging parses with its own copy of dcmjs, which warns on console about odd VRs.
    const local = createRequire(import.meta.url);
    const dcmjsOfImaging = createRequire(local.resolve('dcmjs-imaging'))('dcmjs') as { log?: { getLogger(n: string): { setLevel(l: string): void } } };
    dcmjsOfImaging.log?.getLogger('validation.dcmjs').setLevel('silent');
  } catch {
    // Logging stays on; rendering is unaffected.
  }
}

/**
 * dcmjs-imaging's own WebAssembly decoders (about 37 MB resident), loaded only
 * for compressed frames the gateway's codecs (src/dicom/codecs, also used for
 * frames) do not decode: most renderings never need them.
 */
function ensureImagingDecoders(): Promise<void> {
  imagingDecoders ??= NativePixelDecoder.initializeAsync();
  return imagingDecoders;
}

/** One native frame to render: RLE and 16-bit colour by native-pixels.ts, other codecs by the gateway's decoders. */
async function preparedFrame(index: Part10Index | undefined, data: Buffer, frame: number, frames: number): Promise<{ pixels: Buffer; photometric?: string } | undefined> {
  if (!index?.pixelData) return undefined;
  const layout = layoutOf(index);
  const colour16 = layout.samplesPerPixel === 3 && layout.bitsAllocated === 16;
  if (index.transferSyntaxUid === RLE_LOSSLESS || (colour16 && !index.pixelData.encapsulated)) {
    const native = nativeFrame(index, data, frame, frames);
    return native && { pixels: native };
  }
  // Uncompressed data dcmjs-imaging reads as it is; compressed frames are decoded here.
  return index.pixelData.encapsulated ? decodedFrame(index, data, frame, frames) : undefined;
}

async function indexOf(data: Buffer): Promise<Part10Index | undefined> {
  try {
    return await indexPart10(bufferSource(data));
  } catch (err) {
    // Deflated datasets are inflated by dcmjs-imaging itself; only the index is skipped.
    if (err instanceof Part10Error && err.code === 'DEFLATED') return undefined;
    if (err instanceof Part10Error) throw new CannotRenderError('CANNOT_DECODE_PIXELS', `The stored instance cannot be parsed (${err.message}).`);
    throw err;
  }
}

function frameCount(index: Part10Index | undefined): number {
  return Math.max(1, (index && numberValue(index, 'NumberOfFrames')) || 1);
}

/** Replaces the pixel data by one native frame, so dcmjs-imaging never decodes RLE itself. */
function injectNativeFrame(image: InstanceType<typeof DicomImage>, native: Buffer, photometric?: string): void {
  const elements = image.getElements() as Record<string, unknown>;
  elements.PixelData = [native.buffer.slice(native.byteOffset, native.byteOffset + native.byteLength)];
  elements.NumberOfFrames = 1;
  elements.PlanarConfiguration = 0;
  if (photometric) elements.PhotometricInterpretation = photometric;
  image.setTransferSyntaxUid(EXPLICIT_VR_LE);
}

function renderPixels(image: InstanceType<typeof DicomImage>, frameIndex: number, window: WindowParam | undefined) {
  if (window) (image.getElements() as Record<string, unknown>).VOILUTFunction = VOI_FUNCTION[window.fn];
  try {
    return image.render({ frame: frameIndex, ...(window ? { windowLevel: new WindowLevel(window.width, window.center) } : {}) });
  } catch (err) {
    throw new CannotRenderError('CANNOT_DECODE_PIXELS', `The pixel data of this instance cannot be decoded (${(err as Error).message}).`);
  }
}

/** Renders one frame (1-based) of a stored Part 10 file to 8-bit pixels. */
export async function renderFrameInGateway(data: Buffer, frame: number, window?: WindowParam): Promise<GatewayFrame> {
  silenceImaging();
  const index = await indexOf(data);
  if (index && !index.pixelData) throw new CannotRenderError('NO_PIXEL_DATA', 'The instance has no pixel data to render.');
  const frames = frameCount(index);
  if (frame > frames) throw frameOutOfRange(frame, frames);
  const layout = index ? layoutOf(index) : undefined;
  const native = await preparedFrame(index, data, frame, frames);
  if (layout && native && layout.samplesPerPixel === 3 && layout.bitsAllocated === 16) return { raw: colour16ToRaw(native.pixels, layout), grayscale: false, frames };
  // Compressed data left to dcmjs-imaging (a syntax the gateway's codecs lack; a deflated file, unindexed).
  if (!native && (!index || index.pixelData?.encapsulated)) await ensureImagingDecoders();
  const image = new DicomImage(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
  if (native) injectNativeFrame(image, native.pixels, native.photometric);
  const photometric = String((image.getElements() as Record<string, unknown>).PhotometricInterpretation ?? '').trim();
  const result = renderPixels(image, native ? 0 : frame - 1, window);
  return {
    raw: { pixels: Buffer.from(result.pixels), width: result.width, height: result.height, channels: 4 },
    grayscale: photometric.startsWith('MONOCHROME'),
    frames,
  };
}
