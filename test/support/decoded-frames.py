"""Reference decoded frames of compressed DICOM files, from decoders other than the gateway's.

Usage: python3 decoded-frames.py OUTDIR FILE [FILE...]
For each file writes OUTDIR/<basename>.frame1 (frame 1 as native little-endian bytes,
colour by pixel, RGB for colour) and prints one JSON line:
  {"file", "transferSyntax", "decoder", "lossy", "geometry": {...}, "bytes"}
or {"file", "skip": reason} when no reference decoder is available here.

Decoders: DCMTK (dcmdjpeg, dcmdjpls, dcmdrle: decompress to a native file, read
by pydicom) for the JPEG, JPEG-LS and RLE families; pydicom with Pillow/OpenJPEG
for JPEG 2000.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pydicom

DCMTK = {
    "1.2.840.10008.1.2.4.50": "dcmdjpeg", "1.2.840.10008.1.2.4.51": "dcmdjpeg",
    "1.2.840.10008.1.2.4.57": "dcmdjpeg", "1.2.840.10008.1.2.4.70": "dcmdjpeg",
    "1.2.840.10008.1.2.4.80": "dcmdjpls", "1.2.840.10008.1.2.4.81": "dcmdjpls",
    "1.2.840.10008.1.2.5": "dcmdrle",
}
PILLOW = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"}
LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91"}


def geometry(ds):
    return {
        "rows": int(ds.Rows), "columns": int(ds.Columns), "bitsAllocated": int(ds.BitsAllocated),
        "bitsStored": int(ds.BitsStored), "samplesPerPixel": int(ds.SamplesPerPixel),
        "pixelRepresentation": int(ds.PixelRepresentation),
        "planarConfiguration": int(getattr(ds, "PlanarConfiguration", 0) or 0),
        "photometricInterpretation": str(ds.PhotometricInterpretation),
    }


def first_frame(ds):
    arr = ds.pixel_array
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    frame = arr[0] if frames > 1 else arr
    if int(ds.SamplesPerPixel) > 1 and str(ds.PhotometricInterpretation).startswith("YBR"):
        frame = pydicom.pixel_data_handlers.util.convert_color_space(frame, str(ds.PhotometricInterpretation), "RGB")
    return frame.astype(frame.dtype.newbyteorder("<")).tobytes()


def decode(path):
    ds = pydicom.dcmread(path)
    ts = str(ds.file_meta.TransferSyntaxUID)
    geo = geometry(ds)
    if ts in DCMTK:
        with tempfile.TemporaryDirectory() as tmp:
            native = os.path.join(tmp, "native.dcm")
            # +cp: colour JPEG in YCbCr is converted to RGB, as the gateway does.
            args = [DCMTK[ts], *(["+cp"] if DCMTK[ts] == "dcmdjpeg" else []), path, native]
            result = subprocess.run(args, capture_output=True, text=True)
            if result.returncode != 0:
                return {"skip": f"{DCMTK[ts]} failed: {result.stderr.strip()[:200]}"}
            return {"decoder": DCMTK[ts], "data": first_frame(pydicom.dcmread(native)), "geometry": geo, "transferSyntax": ts}
    if ts in PILLOW:
        return {"decoder": "pydicom+pillow", "data": first_frame(ds), "geometry": geo, "transferSyntax": ts}
    return {"skip": f"no reference decoder for {ts}"}


out_dir = sys.argv[1]
for name in sys.argv[2:]:
    try:
        result = decode(name)
    except Exception as err:  # a reference decoder that cannot read the file: skipped, with the reason
        result = {"skip": f"{type(err).__name__}: {err}"[:200]}
    data = result.pop("data", None)
    if data is not None:
        with open(os.path.join(out_dir, os.path.basename(name) + ".frame1"), "wb") as f:
            f.write(data)
        result["bytes"] = len(data)
        result["lossy"] = result["transferSyntax"] in LOSSY
    print(json.dumps({"file": name, **result}), flush=True)
