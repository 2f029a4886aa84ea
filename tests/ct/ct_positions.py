"""Step positions of a multi-stream `.ct`: a line-only global line index is
path_id * 100000 + line; a column-aware one (meta.dat bit 4) is an offset in
one space where every file occupies the sum of its line lengths, from the
paths.dat records `varint len, path, varint line count, zigzag line-length
deltas` (Nim new_trace_reader.nim decodeGlobalPositionIndex).
"""

import bisect

from ctfs_container import CtError, svarint, text, uvarint, vstring


def parse_column_paths(recs):
    """Column-aware paths.dat records: varint path_len, path bytes, varint
    line_count, then zigzag line lengths (first absolute, then deltas).
    Returns (paths, line_lengths) or None if any record does not parse so
    (then the records are plain path strings)."""
    paths, tables = [], []
    for r in recs:
        try:
            p, pos = vstring(r, 0, "path")
            n, pos = uvarint(r, pos, "line count")
            if n > 10_000_000:
                return None
            lls, prev = [], 0
            for i in range(n):
                d, pos = svarint(r, pos, "line length")
                cur = d if i == 0 else prev + d
                if cur < 0:
                    return None
                lls.append(cur)
                prev = cur
        except CtError:
            return None
        if pos != len(r):
            return None
        paths.append(text(p))
        tables.append(lls)
    return paths, tables


class PositionDecoder:
    """global_position_index -> (path, line, column) for column-aware traces:
    files laid end to end, each file the sum of its line lengths, lines 1-based,
    columns 1-based (q - line_base + 1)."""

    def __init__(self, tables):
        self.file_base, self.file_size, self.line_base = [], [], []
        g = 0
        for lls in tables:
            lb, s = [], 0
            for n in lls:
                lb.append(s)
                s += n
            self.file_base.append(g)
            self.file_size.append(s)
            self.line_base.append(lb)
            g += s

    def decode(self, p):
        fid = bisect.bisect_right(self.file_base, p) - 1
        if fid < 0 or p >= self.file_base[fid] + self.file_size[fid]:
            return None
        q = p - self.file_base[fid]
        lb = self.line_base[fid]
        line = bisect.bisect_right(lb, q) - 1
        if line < 0:
            return None
        return fid, line + 1, q - lb[line] + 1


LINES_PER_FILE = 100_000  # line-only global index: path_id * 100000 + line


def line_only(gli, n_paths):
    """Line-only global line index -> (path_id, line).  The reference resolves
    through a prefix sum of 100000 lines per path, so an index past the last
    path stays in the last path."""
    pid = gli // LINES_PER_FILE
    if n_paths and pid > n_paths - 1:
        pid = n_paths - 1
    return pid, gli - pid * LINES_PER_FILE
