#!/bin/sh
# A `command` step in plain POSIX sh, speaking regen's step protocol
# (docs/step-protocol.md): does the record's text hold a \boxed{...} answer?
#
#   step boxed = command(paths, run: ["sh", "stdlib/commands/has_boxed.sh"],
#                        fields: [path], into: {has_box: bool})
#
# One record per call (no `batch:`). Requests look like {"id":7,"record":{...}}
# with the id first, so the shell can read it without a JSON parser.

IFS= read -r hello || exit 0
case "$hello" in
  *'"protocol":"regen-step"'*'"version":1'*) ;;
  *)
    printf '%s\n' '{"hello":{"protocol":"regen-step","version":1},"error":{"type":"ProtocolError","message":"has_boxed.sh speaks regen-step version 1"}}'
    exit 1
    ;;
esac
printf '%s\n' '{"hello":{"protocol":"regen-step","version":1}}'

while IFS= read -r line; do
  id=${line#'{"id":'}
  id=${id%%,*}
  case "$line" in
    *'"records":'*)
      printf '{"id":%s,"error":{"type":"Unsupported","message":"has_boxed.sh takes one record per call: remove batch:"}}\n' "$id"
      continue
      ;;
  esac
  # In the JSON line a backslash is written twice.
  case "$line" in
    *'\\boxed{'*) box=true ;;
    *) box=false ;;
  esac
  printf '{"id":%s,"ok":{"has_box":%s}}\n' "$id" "$box"
done
