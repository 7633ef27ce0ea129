/**
 * Rendering in the gateway, for what the upstream cannot render (Orthanc
 * answers 400 for RGB 16-bit, 32-bit RT Dose, …): the stored Part 10 file is
 * decoded with dcmjs-imaging (VOI LUT per PS3.4 §N.2, window functions of
 * PS3.3 C.11.2.1.3) into 8-bit RGBA. RLE and 16-bit colour are prepared here
 * first, where dcmjs-imaging goes wrong (see native-pixels.ts).
 * This runs on the event loop (tens of ms for 512×512); it is the fallback path.
 */
import { createRequire } from 'node:module';
import imaging from 'dcmjs-imaging';
import { bufferSource, indexPart10, numberValue, Part10Error, type Part10Index } from '../../../dicom/part10/index.js';
import { CannotRenderError, frameOutOfRange } from './errors.js';
import type { RawImage } from './encode.js';
import type { WindowParam } from './params.js';
import { RLE_LOSSLESS, colour16ToRaw, layoutOf, nativeFrame } from './native-pixels.js';

const { DicomImage, NativePixelDecoder, WindowLevel } = imaging;
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
const VOI_FUNCTION: Record<WindowParam['fn'], string> = { linear: 'LINEAR', 'linear-exact': 'LINEAR_EXACT', sigmoid: 'SIGMOID' };

export interface GatewayFrame {
  raw: RawImage;
  grayscale: boolean;
  /** Frames in the instance. */
  frames: number;
}

let decoders: Promise<void> | undefined;

/** Loads the WebAssembly codecs once and silences the libraries' console logging. */
function ensureDecoders(): Promise<void> {
  decoders ??= (async () => {
    imaging.log.setLevel('silent');
    try {
      // dcmjs-imaging parses with its own copy of dcmjs, which warns on console about odd VRs.
      const local = createRequire(import.meta.url);
      const dcmjsOfImaging = createRequire(local.resolve('dcmjs-imaging'))('dcmjs') as { log?: { getLogger(n: string): { setLevel(l: string): void } } };
      dcmjsOfImaging.log?.getLogger('validation.dcmjs').setLevel('silent');
    } catch {
      // Logging stays on; rendering is unaffected.
    }
    await NativePixelDecoder.initializeAsync();
  })();
  return decoders;
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
function injectNativeFrame(image: InstanceType<typeof DicomImage>, native: Buffer): void {
  const elements = image.getElements() as Record<string, unknown>;
  elements.PixelData = [native.buffer.slice(native.byteOffset, native.byteOffset + native.byteLength)];
  elements.NumberOfFrames = 1;
  elements.PlanarConfiguration = 0;
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
  await ensureDecoders();
  const index = await indexOf(data);
  if (index && !index.pixelData) throw new CannotRenderError('NO_PIXEL_DATA', 'The instance has no pixel data to render.');
  const frames = frameCount(index);
  if (frame > frames) throw frameOutOfRange(frame, frames);
  const layout = index ? layoutOf(index) : undefined;
  const colour16 = layout !== undefined && layout.samplesPerPixel === 3 && layout.bitsAllocated === 16;
  const native = index && (colour16 || index.transferSyntaxUid === RLE_LOSSLESS) ? nativeFrame(index, data, frame, frames) : undefined;
  if (colour16 && native) return { raw: colour16ToRaw(native, layout), grayscale: false, frames };
  const image = new DicomImage(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
  if (native) injectNativeFrame(image, native);
  const photometric = String((image.getElements() as Record<string, unknown>).PhotometricInterpretation ?? '').trim();
  const result = renderPixels(image, native ? 0 : frame - 1, window);
  return {
    raw: { pixels: Buffer.from(result.pixels), width: result.width, height: result.height, channels: 4 },
    grayscale: photometric.startsWith('MONOCHROME'),
    frames,
  };
}
