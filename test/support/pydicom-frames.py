"""Expected frame bytes of DICOM files, computed by pydicom (independently of the gateway).

Usage: python3 pydicom-frames.py FILE [FILE...]
Prints one JSON object per line:
  {"file", "uids", "transferSyntax", "encapsulated", "frames", "frameSha256": [...], "pixelDataSha256", "pixelDataLength"}
or {"file", "uids", "pixelData": false} for files without pixel data; both with
"waveformSha256" (WaveformData of each WaveformSequence item, for bulk data tests).

Frames as PS3.18 sends them: encapsulated frames are their fragments joined
(pydicom.encaps.generate_pixel_data_frame, except that a Basic Offset Table
that does not point at fragment starts is not trusted: then one fragment per
frame when the counts agree, as PS3.5 A.4 allows); native frames are little endian
(big endian data converted through ds.pixel_array), 1-bit frames repacked from bit 0.
"""
import hashlib
import json
import sys

import numpy as np
import pydicom
from pydicom.encaps import generate_pixel_data_fragment, generate_pixel_data_frame, get_frame_offsets
from pydicom.filebase import DicomBytesIO

BIG_ENDIAN = "1.2.840.10008.1.2.2"


def sha(data):
    return hashlib.sha256(data).hexdigest()


def encapsulated_frames(pixel_data, count):
    """Frames of encapsulated data, and whether a broken Basic Offset Table was ignored."""
    fp = DicomBytesIO(pixel_data)
    fp.is_little_endian = True
    _, offsets = get_frame_offsets(fp)
    fragments = list(generate_pixel_data_fragment(fp))
    positions, at = [], 0
    for fragment in fragments:
        positions.append(at)
        at += 8 + len(fragment)
    table_fits = len(offsets) == count and all(o in positions for o in offsets)
    if len(offsets) > 1 and not table_fits and len(fragments) == count:
        return [bytes(f) for f in fragments], True
    return list(generate_pixel_data_frame(pixel_data, count)), False


def native_frames(ds, count):
    bits = int(ds.BitsAllocated)
    per_frame_bits = int(ds.Rows) * int(ds.Columns) * int(ds.SamplesPerPixel) * bits
    raw = ds.PixelData
    big_endian = ds.file_meta.TransferSyntaxUID == BIG_ENDIAN
    if bits == 1:
        arr = ds.pixel_array.reshape(count, -1)
        return [np.packbits(arr[i], bitorder="little").tobytes() for i in range(count)]
    size = per_frame_bits // 8
    if big_endian and bits > 8:
        # pixel_array reads the big endian words; frames are then re-encoded little endian.
        arr = ds.pixel_array
        flat = arr.reshape(count, -1) if count > 1 else arr.reshape(1, -1)
        if int(ds.SamplesPerPixel) > 1 and int(getattr(ds, "PlanarConfiguration", 0)) == 1:
            raise SystemExit("planar big endian colour data is not covered")
        little = flat.astype(flat.dtype.newbyteorder("<"))
        return [little[i].tobytes() for i in range(count)]
    return [bytes(raw[i * size:(i + 1) * size]) for i in range(count)]


def describe(path):
    ds = pydicom.dcmread(path)
    uids = {"study": str(ds.StudyInstanceUID), "series": str(ds.SeriesInstanceUID), "instance": str(ds.SOPInstanceUID)}
    waveforms = [sha(bytes(w.WaveformData)) for w in ds.get("WaveformSequence", []) if "WaveformData" in w]
    if "PixelData" not in ds:
        return {"file": path, "uids": uids, "pixelData": False, "waveformSha256": waveforms}
    ts = str(ds.file_meta.TransferSyntaxUID)
    count = int(getattr(ds, "NumberOfFrames", 1) or 1)
    encapsulated = ds.file_meta.TransferSyntaxUID.is_compressed
    bot_ignored = False
    if encapsulated:
        frames, bot_ignored = encapsulated_frames(ds.PixelData, count)
    else:
        frames = native_frames(ds, count)
    return {
        "file": path,
        "uids": uids,
        "pixelData": True,
        "transferSyntax": ts,
        "encapsulated": bool(encapsulated),
        "frames": len(frames),
        "frameSha256": [sha(f) for f in frames],
        "frameLength": [len(f) for f in frames],
        "pixelDataSha256": sha(ds.PixelData),
        "pixelDataLength": len(ds.PixelData),
        "botIgnored": bot_ignored,
        "waveformSha256": waveforms,
    }


for name in sys.argv[1:]:
    print(json.dumps(describe(name)), flush=True)
