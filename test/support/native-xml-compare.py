"""Compares a Native DICOM Model document (PS3.19 A.1) with DCMTK's for the same file.

Usage: python3 native-xml-compare.py DICOM_FILE OUR_XML_FILE
Prints a JSON list of differences (empty when the documents agree): DCMTK's
`dcm2xml --native-format` is the reference. Binary values (OB, OW, OF, OD, OL,
OV, UN), bulk data, the File Meta group and Specific Character Set are left out on both sides; numbers
of numeric VRs are compared as numbers, strings with surrounding spaces trimmed.
"""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

BINARY = {"OB", "OW", "OF", "OD", "OL", "OV", "UN"}
NUMERIC = {"DS", "IS", "FL", "FD", "US", "SS", "UL", "SL", "UV", "SV"}


def local(tag):
    return tag.rsplit("}", 1)[-1]


def value_of(vr, text):
    text = (text or "").strip()
    if vr in NUMERIC and text:
        try:
            return round(float(text), 6)
        except ValueError:
            return text
    return text


def person_name(el):
    return {local(g.tag): [local(p.tag) + "=" + (p.text or "") for p in g] for g in el}


def dataset(root):
    out = {}
    for attr in root:
        if local(attr.tag) != "DicomAttribute":
            continue
        tag, vr = attr.get("tag"), attr.get("vr")
        # SpecificCharacterSet: dcm2xml --convert-to-utf8 adds or rewrites it (ISO_IR 192), dcm2json does not.
        if tag.startswith("0002") or tag == "00080005" or vr in BINARY:
            continue
        # Private data elements are named by creator + gggg00ee: two can share a tag text.
        if attr.get("privateCreator"):
            tag = f"{attr.get('privateCreator')}:{tag}"
        values = []
        for child in attr:
            kind = local(child.tag)
            if kind == "Value":
                values.append(value_of(vr, child.text))
            elif kind == "PersonName":
                values.append(person_name(child))
            elif kind == "Item":
                values.append(dataset(child))
        out[tag] = {"vr": vr, "keyword": attr.get("keyword"), "values": values}
    return out


def differences(ref, ours, path=""):
    diffs = []
    for tag in sorted(set(ref) | set(ours)):
        where = f"{path}/{tag}"
        if tag not in ours:
            diffs.append(f"{where}: missing in ours")
        elif tag not in ref:
            diffs.append(f"{where}: only in ours")
        else:
            a, b = ref[tag], ours[tag]
            # keyword is optional (DCMTK leaves it out for retired attributes): compared when both give one.
            if a["vr"] != b["vr"] or (a["keyword"] and b["keyword"] and a["keyword"] != b["keyword"]):
                diffs.append(f"{where}: vr/keyword {a['vr']}/{a['keyword']} vs {b['vr']}/{b['keyword']}")
            elif len(a["values"]) != len(b["values"]):
                diffs.append(f"{where}: {len(a['values'])} values vs {len(b['values'])}")
            else:
                for i, (x, y) in enumerate(zip(a["values"], b["values"])):
                    if isinstance(x, dict) and a["vr"] == "SQ":
                        diffs.extend(differences(x, y, f"{where}[{i + 1}]"))
                    elif x != y:
                        diffs.append(f"{where}[{i + 1}]: {x!r} vs {y!r}")
    return diffs


ref_xml = subprocess.run(["dcm2xml", "--native-format", "--convert-to-utf8", sys.argv[1]], capture_output=True, check=True).stdout
ref = dataset(ET.fromstring(ref_xml))
ours = dataset(ET.parse(sys.argv[2]).getroot())
print(json.dumps(differences(ref, ours)))
