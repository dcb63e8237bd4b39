# The kill tests take a minute or two each: started early by ctest -j, with room to spare.
set_tests_properties("soak.MAAC killed with SIGKILL in every phase resumes to the uninterrupted run"
                     "soak.SAC killed with SIGKILL in every phase resumes to the uninterrupted run"
                     "soak.resident memory stays flat once the replay buffers are full"
                     PROPERTIES COST 5000 TIMEOUT 900)
