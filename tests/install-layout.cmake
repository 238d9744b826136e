# Installs the build into a scratch folder and checks that a device gets the executables,
# both systemd units, the D-Bus files and the documented default configuration.
# DESTDIR, not --prefix: a build for the prefix /usr installs its configuration to /etc, and a
# build may name an absolute unit folder (a Debian package build does both); --prefix keeps
# neither inside the scratch folder, so the check would write into the build host's /etc.
file(REMOVE_RECURSE ${PREFIX})
set(ENV{DESTDIR} ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
# what was installed, as paths below the build's prefix or absolute destinations
file(STRINGS ${BUILD_DIR}/install_manifest.txt installed)
foreach(f bin/s16-update bin/s16-update-ui bin/s16-recovery bin/s16-publish bin/s16-devsim
          lib/systemd/system/s16-update.service lib/systemd/system/s16-boot-complete.service
          etc/s16-update/update.conf share/s16-update/uboot/boot.cmd
          share/dbus-1/system.d/org.s16.Updater1.conf share/dbus-1/interfaces/org.s16.Updater1.xml)
  set(found "")
  string(LENGTH "/${f}" n)
  foreach(path IN LISTS installed)
    string(LENGTH "${path}" m)
    if(m GREATER_EQUAL n)
      math(EXPR start "${m} - ${n}")
      string(SUBSTRING "${path}" ${start} ${n} tail)
      if(tail STREQUAL "/${f}" AND EXISTS "${PREFIX}${path}")
        set(found "${path}")
      endif()
    endif()
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
message(STATUS "install layout complete in ${PREFIX}")
