/** Is a screenshot more than a blank (one-colour) area? Sampled over every pixel with sharp. */
import sharp from 'sharp';

export interface PixelSummary {
  width: number;
  height: number;
  /** Distinct grey levels seen (luminance, 0..255). */
  distinctLevels: number;
  /** Share of pixels brighter than the darkest 5% + 32 levels. */
  brightShare: number;
}

export async function summarizePixels(png: Buffer): Promise<PixelSummary> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  const histogram = new Array<number>(256).fill(0);
  for (const v of data) histogram[v]! += 1;
  const distinctLevels = histogram.filter((n) => n > 0).length;
  let seen = 0;
  let floor = 0;
  for (; floor < 256 && seen < data.length * 0.05; floor++) seen += histogram[floor]!;
  let bright = 0;
  for (let v = Math.min(255, floor + 32); v < 256; v++) bright += histogram[v]!;
  return { width: info.width, height: info.height, distinctLevels, brightShare: bright / data.length };
}

/** A rendered phantom has many grey levels and a real bright area; a blank or text-only canvas does not. */
export function looksLikeAnImage(s: PixelSummary): boolean {
  return s.distinctLevels >= 16 && s.brightShare > 0.02;
}
