"""Normalization shared by ct_decode.py (values from CTFS CBOR) and
ctrec_summary.py (values from `ctrec print` JSON), so that equal content
compares equal whatever the encoding.  Each rule is stated where it is applied.
"""

import base64
import json
import math

try:
    import cbor2
    _Tag = cbor2.CBORTag
except ImportError:  # ctrec_summary.py alone does not need cbor2
    _Tag = ()

VALUE_REF_TAG = 256  # CBOR tag of a ValueRef (cbor.nim: CborTagValueRef)


def _is_tag(v):
    """A CBOR tag from cbor2 or from ct_decode.cbor_plain (any object with
    .tag and .value)."""
    return (_Tag and isinstance(v, _Tag)) or (hasattr(v, "tag") and hasattr(v, "value")
                                              and type(v).__name__ == "Tag")


def norm_float(f):
    """Floats: CTFS stores a CBOR float64, `ctrec print` a string ("2.5",
    "inf", "NaN") or a JSON number.  Both become the shortest text that reads
    back to the same double (Python repr), with "inf", "-inf" and "NaN" for the
    non-finite ones; an integer-valued JSON number 2 becomes "2.0"."""
    if isinstance(f, str):
        t = f.strip().lower().lstrip("+")
        if t in ("inf", "infinity"):
            f = math.inf if not f.strip().startswith("-") else -math.inf
        elif t in ("-inf", "-infinity"):
            f = -math.inf
        elif t == "nan" or t == "-nan":
            f = math.nan
        else:
            try:
                f = float(f)
            except ValueError:
                return "unparsable:" + f
    f = float(f)
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return repr(f)


def norm_bigint(b, negative):
    """BigInt magnitude: CBOR carries bytes, JSON standard base64 (padded);
    both become a signed decimal string (leading zero bytes, and the sign of
    zero, do not matter)."""
    if isinstance(b, str):
        try:
            b = base64.b64decode(b, validate=False)
        except Exception:
            return "unparsable:" + b
    n = int.from_bytes(bytes(b), "big")
    return ("-" if negative and n else "") + str(n)


def type_name(types, tid):
    """type_id becomes the type's name (types are interned by name in both
    encodings, so a renumbered table still compares equal); an id outside the
    table stays visible as "#id"."""
    if isinstance(tid, int) and 0 <= tid < len(types):
        return types[tid]
    return "#%s" % (tid,)


def norm_value(v, types):
    """A ValueRecord (dict with "kind") in a canonical form:
    - type_id -> "type": name (see type_name);
    - Float f -> norm_float text;
    - Bool: "text" is dropped when it is just "true"/"false" matching b (the
      CTFS encoder derives it from b); kept when it says something else;
    - BigInt b -> decimal string (norm_bigint), "negative" folded into it;
    - ValueRef as CBOR tag 256 -> {"kind": "ValueRef", "ref_id": n}, the same
      shape as its JSON spellings ("ref_id", or "id" as ctrec prints it);
    - Char c, String text, Raw r, Error msg: unchanged text;
    - nested values normalized recursively; any other key kept as is, so a
      field the other side does not have shows up as a difference.
    Byte strings (only BigInt has them) elsewhere become hex."""
    if type(v) is dict and len(v) <= 3:
        # Fast paths for the common scalars (same result as the general code).
        kind = v.get("kind")
        tid = v.get("type_id")
        if type(tid) is int and 0 <= tid < len(types):
            t = types[tid]
        else:
            t = None
        if t is not None:
            if kind == "Int" and len(v) == 3 and "i" in v:
                return {"kind": "Int", "i": v["i"], "type": t}
            if kind == "String" and len(v) == 3 and type(v.get("text")) is str:
                return {"kind": "String", "text": v["text"], "type": t}
            if kind == "None" and len(v) == 2:
                return {"kind": "None", "type": t}
    if _is_tag(v):
        if v.tag == VALUE_REF_TAG:
            return {"kind": "ValueRef", "ref_id": v.value}
        return {"kind": "cbor-tag-%d" % v.tag, "value": norm_any(v.value, types)}
    if not isinstance(v, dict):
        return {"kind": "not-a-value", "value": norm_any(v, types)}
    kind = v.get("kind")
    out = {"kind": kind}
    for k, x in v.items():
        if k == "kind":
            continue
        if k == "type_id":
            out["type"] = type_name(types, x)
        elif kind == "Float" and k == "f":
            out["f"] = norm_float(x)
        elif kind == "Bool" and k == "text":
            if not (x in ("true", "false") and (x == "true") == bool(v.get("b"))):
                out["text"] = x
        elif kind == "BigInt" and k == "b":
            out["b"] = norm_bigint(x, v.get("negative", False))
        elif kind == "BigInt" and k == "negative":
            continue
        elif kind == "ValueRef" and k == "id":
            # ctrec print spells the ValueRef's number "id" (docs/ct.md),
            # FORMAT.md and the spec "ref_id": one key for both
            out["ref_id"] = x
        elif k in ("elements", "field_values", "members") and isinstance(x, list):
            out[k] = [norm_value(e, types) for e in x]
        elif k in ("contents", "dereferenced"):
            out[k] = norm_value(x, types)
        else:
            out[k] = norm_any(x, types)
    return out


def norm_any(x, types):
    if isinstance(x, (bytes, bytearray)):
        return bytes(x).hex()
    if isinstance(x, float):
        return norm_float(x)
    if isinstance(x, list):
        return [norm_any(e, types) for e in x]
    if isinstance(x, dict):
        if "kind" in x:
            return norm_value(x, types)
        return {str(k): norm_any(e, types) for k, e in x.items()}
    if _is_tag(x):
        return norm_value(x, types)
    return x


_ENC = json.JSONEncoder(ensure_ascii=False)


def write_summary(s, write):
    """One key per line at the top, compact below: diffable and small.
    Written piece by piece (a 100k-step summary is tens of MB of text)."""
    enc = _ENC.encode
    write("{\n")
    keys = list(s.keys())
    for i, k in enumerate(keys):
        v = s[k]
        comma = "," if i + 1 < len(keys) else ""
        if isinstance(v, list):
            write(" %s: [\n" % enc(k))
            for j in range(0, len(v), 4096):
                part = ",\n".join("  " + enc(e) for e in v[j:j + 4096])
                write(part + (",\n" if j + 4096 < len(v) else "\n"))
            write(" ]%s\n" % comma)
        else:
            write(" %s: %s%s\n" % (enc(k), enc(v), comma))
    write("}\n")


def summary_to_json(s):
    parts = []
    write_summary(s, parts.append)
    return "".join(parts)
