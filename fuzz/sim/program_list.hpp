// fuzz/sim/program_list.hpp — every fixed program by name: what
// sim_programs_test, sim_determinism_test and sim_hunt run.
#pragma once

#include <vector>

#include "progress_programs.hpp"
#include "sim_programs.hpp"

namespace gmpkit::simtest {

struct NamedProgram {
  const char* name;
  void (*fn)();
};

inline std::vector<NamedProgram> programs() {
  return {{"pipeline", prog_pipeline},       {"mutex", prog_mutex}, {"select", prog_select},
          {"syscall_stw", prog_syscall_stw}, {"sleep", prog_sleep}, {"netpoll", prog_netpoll},
          {"deadlock", prog_deadlock}, {"locked", prog_locked},
          {"netpoll_rewait", prog_netpoll_rewait}, {"spawn_parallel", prog_spawn_parallel},
          {"ready_parallel", prog_ready_parallel}, {"many_waiters", prog_many_waiters},
          {"select_fair", prog_select_fair}, {"timeslice", prog_timeslice},
          {"pingpong_hog", prog_pingpong_hog}, {"pingpong_bare", prog_pingpong_bare},
          {"syscall_handoff", prog_syscall_handoff},
          {"mutex_fair", prog_mutex_fair}, {"cond_turns", prog_cond_turns},
          {"poll_close", prog_poll_close}, {"timer_heap", prog_timer_heap},
          {"parallel_rounds", prog_parallel_rounds}, {"stw_syscall", prog_stw_syscall},
          {"stw_loop", prog_stw_loop}, {"forced_netpoll", prog_forced_netpoll},
          {"runq_overflow", prog_runq_overflow}, {"rwmutex", prog_rwmutex},
          {"sysmon_resume", prog_sysmon_resume}, {"timer_wakes_poller", prog_timer_wakes_poller},
          {"timer_added_while_polling", prog_timer_added_while_polling},
          {"netpoll_parallel", prog_netpoll_parallel}, {"retake_steals", prog_retake_steals},
          {"sysmon_after_syscall", prog_sysmon_after_syscall}, {"stw_retake", prog_stw_retake},
          {"spawn_during_drop", prog_spawn_during_drop}};
}

}  // namespace gmpkit::simtest
