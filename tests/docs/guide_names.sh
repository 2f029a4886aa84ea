#!/usr/bin/env bash
# guide_names.sh SOURCE_DIR LIBCTREC_SO
set -u
src=$1 so=$2
guide=$src/docs/recording-guide.md
headers=("$src"/include/ctrec/*.h)
fails=0
[ -f "$guide" ] || { echo "FAIL: $guide missing"; exit 1; }
names=$(grep -o '\bctrec_[a-z0-9_]*' "$guide" | sort -u)
consts=$(grep -o '\bCTREC_[A-Z0-9_]*' "$guide" | sort -u)
[ -n "$names" ] || { echo "FAIL: no ctrec_ name found in the guide"; exit 1; }
exported=$(nm -D --defined-only "$so" | awk '{print $3}')
nfun=0
for n in $names; do
    if ! grep -qw "$n" "${headers[@]}"; then
        echo "FAIL: the guide names $n, which no header declares"; fails=$((fails + 1))
        continue
    fi
    # a function (declared as "name(" in a header) must be in the library
    if grep -q "\b$n(" "${headers[@]}"; then
        nfun=$((nfun + 1))
        printf '%s\n' "$exported" | grep -qx "$n" ||
            { echo "FAIL: $n is declared but not exported by libctrec.so"; fails=$((fails + 1)); }
    fi
done
for c in $consts; do
    grep -qw "$c" "${headers[@]}" || { echo "FAIL: the guide names $c, which no header defines"; fails=$((fails + 1)); }
done
for f in "$src/README.md" "$src/include/ctrec/ctrec.h" "$src/include/ctrec/ctrec_check.h"; do
    grep -q 'recording-guide.md' "$f" || { echo "FAIL: $f does not point to recording-guide.md"; fails=$((fails + 1)); }
done
for f in "$src/README.md" "${headers[@]}"; do
    grep -q 'FORMAT.md' "$f" && { echo "FAIL: $f still points to FORMAT.md, which is not installed"; fails=$((fails + 1)); }
done
[ $fails -eq 0 ] && echo "docs_guide_names: ok ($(echo "$names" | wc -w) names, $nfun functions, $(echo "$consts" | wc -w) constants)" || exit 1
