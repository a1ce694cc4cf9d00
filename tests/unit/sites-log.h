/* A hand-written log of one program with two modules and three sites
 * (PROC(pid) MODS SITES END, END left out for a killed image), shared by
 * the leak and the pprof unit tests. */
#ifndef OVC_TEST_SITES_LOG_H
#define OVC_TEST_SITES_LOG_H

#define PROC(pid)                                                              \
	"{\"t\":\"proc\",\"format\":\"ovc-log\",\"version\":1,\"pid\":" #pid   \
	",\"ppid\":99,\"exe\":\"/opt/app/bin/app\",\"argv\":[\"app\"],"       \
	"\"run\":\"r1\",\"origin\":\"start\",\"start_unix_ns\":1000}\n"
#define MODS                                                                   \
	"{\"t\":\"mod\",\"id\":0,\"path\":\"/opt/app/bin/app\",\"base\":4096," \
	"\"lo\":4096,\"hi\":8192,\"build_id\":\"abcd\"}\n"                    \
	"{\"t\":\"mod\",\"id\":3,\"path\":\"/nonexistent/libc.so.6\","         \
	"\"base\":65536,\"lo\":65536,\"hi\":131072,\"build_id\":\"\"}\n"
#define SITES                                                                  \
	"{\"t\":\"site\",\"id\":7,\"frames\":[[0,272],[3,80],[-1,99999]]}\n"   \
	"{\"t\":\"ss\",\"ns\":5,\"id\":7,\"blocks\":2,\"requested\":400,"     \
	"\"live\":300,\"peak_live\":400,\"touched\":100,\"unprobed\":0,"      \
	"\"live_blocks\":1,\"live_sd\":0,\"sampled\":false,"                  \
	"\"shared_pages\":false}\n"                                            \
	"{\"t\":\"site\",\"id\":8,\"frames\":[[0,300],[3,80]]}\n"              \
	"{\"t\":\"ss\",\"ns\":5,\"id\":8,\"blocks\":90,\"requested\":9000,"   \
	"\"live\":5000,\"peak_live\":9000,\"touched\":9000,\"unprobed\":0,"   \
	"\"live_blocks\":50,\"live_sd\":1200,\"sampled\":true,"               \
	"\"shared_pages\":true}\n"                                             \
	"{\"t\":\"site\",\"id\":9,\"frames\":[[0,300]]}\n"                     \
	"{\"t\":\"ss\",\"ns\":5,\"id\":9,\"blocks\":1,\"requested\":64,"      \
	"\"live\":0,\"peak_live\":64,\"touched\":0,\"unprobed\":0,"           \
	"\"live_blocks\":0,\"live_sd\":0,\"sampled\":false,"                  \
	"\"shared_pages\":false}\n"
#define END "{\"t\":\"end\",\"ns\":9,\"kind\":\"exit\",\"code\":0}\n"

#endif
