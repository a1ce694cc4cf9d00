/* A C++ allocation site: ovc_test::Arena::grow() takes 64 MiB blocks with
 * new char[], twice, and writes the first page of each (one is deleted, one
 * stays live at exit). The report must name the site by its demangled
 * name. */
#include <cstdio>
#include <cstdlib>

namespace ovc_test {

struct Arena {
	char *blocks[2] = { nullptr, nullptr };
	int n = 0;
	void grow();
};

__attribute__((noinline, noclone)) void Arena::grow()
{
	char *p = new char[64 << 20]; // site: ovc_test::Arena::grow
	p[0] = 1;
	blocks[n++] = p;
}

} // namespace ovc_test

int main()
{
	ovc_test::Arena arena;

	arena.grow();
	arena.grow();
	delete[] arena.blocks[0];
	std::printf("cxx-new: 2 blocks of 64 MiB, 1 deleted\n");
	return 0;
}
