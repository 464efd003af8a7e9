# rigcheck_embed_file(<target> <input> <symbol>)
# Generates a .cpp defining `extern const char* const <symbol>` holding the file's text, so that
# data tables (JSON with sources) ship inside the binary and cannot go missing at run time.
function(rigcheck_embed_file target input symbol)
  get_filename_component(_abs "${input}" ABSOLUTE)
  set(_out "${CMAKE_CURRENT_BINARY_DIR}/embedded_${symbol}.cpp")
  add_custom_command(
    OUTPUT "${_out}"
    COMMAND ${CMAKE_COMMAND} -DINPUT=${_abs} -DOUTPUT=${_out} -DSYMBOL=${symbol}
            -P "${PROJECT_SOURCE_DIR}/cmake/EmbedFileScript.cmake"
    DEPENDS "${_abs}" "${PROJECT_SOURCE_DIR}/cmake/EmbedFileScript.cmake"
    COMMENT "Embedding ${input}")
  target_sources(${target} PRIVATE "${_out}")
endfunction()
