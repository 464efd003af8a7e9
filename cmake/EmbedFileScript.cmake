# Script mode helper for rigcheck_embed_file: writes the input as a raw string literal.
file(READ "${INPUT}" _content)
string(FIND "${_content}" ")rigcheck_embed\"" _clash)
if(NOT _clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
file(WRITE "${OUTPUT}" "// Generated from ${INPUT}; do not edit.\nnamespace rigcheck::embedded { extern const char* const ${SYMBOL}; const char* const ${SYMBOL} = R\"rigcheck_embed(${_content})rigcheck_embed\"; }\n")
