# The UI's translations, English and German, embedded in s16_uitext (which the S16.Update
# module and s16-recovery link) as :/i18n/s16_<lang>.qm. lupdate reads this module (C++ and QML) and the recovery
# screen's QML: `cmake --build <build> --target update_translations` refreshes the
# .ts files; tests/auto/ui fails while any message in them is unfinished.
file(GLOB s16_recovery_qml ${PROJECT_SOURCE_DIR}/recovery/qml/*.qml)
file(GLOB s16_ui_sources ${PROJECT_SOURCE_DIR}/qml/*.cpp ${PROJECT_SOURCE_DIR}/qml/*.h ${PROJECT_SOURCE_DIR}/qml/*.qml)
set(S16_TS_FILES
  ${PROJECT_SOURCE_DIR}/translations/s16_en.ts
  ${PROJECT_SOURCE_DIR}/translations/s16_de.ts)
qt_add_translations(s16_uitext
  TS_FILES ${S16_TS_FILES}
  SOURCES ${s16_ui_sources} ${s16_recovery_qml}
  RESOURCE_PREFIX /i18n
  LUPDATE_OPTIONS -no-obsolete -locations none)
