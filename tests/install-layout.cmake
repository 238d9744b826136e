# Installs the build into a scratch prefix and checks that a device gets the
# executables, both systemd units and the documented default configuration.
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
foreach(f bin/s16-update bin/s16-update-ui bin/s16-recovery bin/s16-publish bin/s16-devsim
          lib/systemd/system/s16-update.service lib/systemd/system/s16-boot-complete.service
          etc/s16-update/update.conf share/s16-update/uboot/boot.cmd
          share/dbus-1/system.d/org.s16.Updater1.conf share/dbus-1/interfaces/org.s16.Updater1.xml)
  if(NOT EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
message(STATUS "install layout complete in ${PREFIX}")
