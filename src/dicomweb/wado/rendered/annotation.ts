/**
 * Burned-in annotations, PS3.18 §8.3.5.1.1: `patient` (who and when) and
 * `technique` (how the image was made and displayed), drawn last in the
 * pipeline as an SVG overlay composited by sharp. The exact content is the
 * origin server's choice (§8.3.5.1.1); the lines drawn are listed below.
 */
import { TAG, numberOf, stringOf, type DicomJsonObject } from './dicom-json.js';
import type { AnnotationKeyword, WindowParam } from './params.js';

export interface AnnotationContext {
  instance: DicomJsonObject;
  /** 1-based frame rendered, and the instance's frame count. */
  frame: number;
  frames: number;
  window?: WindowParam;
}

const formatDate = (da: string | undefined): string | undefined => (da && /^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6)}` : da);
const formatName = (pn: string | undefined): string | undefined => pn?.split('=')[0]?.replace(/\^+/g, ' ').trim();
const present = (parts: Array<string | undefined | false>): string => parts.filter((p): p is string => typeof p === 'string' && p !== '').join('  ');

export function patientLines(obj: DicomJsonObject): string[] {
  const birth = formatDate(stringOf(obj, TAG.PatientBirthDate));
  return [
    present([formatName(stringOf(obj, TAG.PatientName))]),
    present([stringOf(obj, TAG.PatientID) && `ID ${stringOf(obj, TAG.PatientID)}`, birth && `DOB ${birth}`, stringOf(obj, TAG.PatientSex)]),
    present([formatDate(stringOf(obj, TAG.StudyDate))]),
  ].filter((l) => l !== '');
}

function windowLabel(ctx: AnnotationContext): string | undefined {
  if (ctx.window) return `W ${ctx.window.width} L ${ctx.window.center}${ctx.window.fn === 'linear' ? '' : ` ${ctx.window.fn}`}`;
  const center = numberOf(ctx.instance, TAG.WindowCenter);
  const width = numberOf(ctx.instance, TAG.WindowWidth);
  return center !== undefined && width !== undefined && width >= 1 ? `W ${width} L ${center}` : undefined;
}

export function techniqueLines(ctx: AnnotationContext): string[] {
  const obj = ctx.instance;
  const series = numberOf(obj, TAG.SeriesNumber);
  const image = numberOf(obj, TAG.InstanceNumber);
  const rows = numberOf(obj, TAG.Rows);
  const columns = numberOf(obj, TAG.Columns);
  const thickness = numberOf(obj, TAG.SliceThickness);
  const kvp = numberOf(obj, TAG.KVP);
  return [
    present([stringOf(obj, TAG.Modality), stringOf(obj, TAG.SeriesDescription)]),
    present([series !== undefined && `Se ${series}`, image !== undefined && `Im ${image}`, ctx.frames > 1 && `Fr ${ctx.frame}/${ctx.frames}`]),
    present([rows !== undefined && columns !== undefined && `${columns}×${rows}`, thickness !== undefined && `${thickness} mm`, kvp !== undefined && `${kvp} kV`]),
    present([windowLabel(ctx)]),
  ].filter((l) => l !== '');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

function textBlock(lines: string[], x: number, firstBaseline: number, step: number, anchor: 'start' | 'end'): string {
  return lines
    .map((line, i) => `<text x="${x}" y="${firstBaseline + i * step}" text-anchor="${anchor}">${escapeXml(line.slice(0, 80))}</text>`)
    .join('');
}

/** The overlay for an image of width × height: patient top-left, technique bottom-left. */
export function annotationSvg(keywords: readonly AnnotationKeyword[], ctx: AnnotationContext, width: number, height: number): Buffer | undefined {
  const patient = keywords.includes('patient') ? patientLines(ctx.instance) : [];
  const technique = keywords.includes('technique') ? techniqueLines(ctx) : [];
  if (patient.length + technique.length === 0) return undefined;
  const size = Math.max(9, Math.min(24, Math.round(Math.min(width, height) / 22)));
  const step = Math.round(size * 1.25);
  const margin = Math.max(2, Math.round(size / 3));
  const bottomStart = height - margin - (technique.length - 1) * step;
  const style = `text{font-family:DejaVu Sans,Arial,sans-serif;font-size:${size}px;fill:#fff;stroke:#000;stroke-width:${Math.max(1, size / 6)}px;paint-order:stroke}`;
  const body = textBlock(patient, margin, margin + size, step, 'start') + textBlock(technique, margin, bottomStart, step, 'start');
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><style>${style}</style>${body}</svg>`);
}
