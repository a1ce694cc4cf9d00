# The benchmark's compiler workload: prints a C file of N small functions
# (a branch, a struct, a string, a call to an external function and to the
# previous function) for `gcc -O2 -c` to chew on.
#
# Usage: awk -v n=FUNCTIONS -f gen-c.awk > gen.c
BEGIN {
	if (n == "") n = 3000
	print "struct rec { int a; long b; const char *name; };"
	print "int ext(int x, const char *s);"
	print "int f0(int x, struct rec *r);"
	print "int f0(int x, struct rec *r) { return x + r->a; }"
	for (i = 1; i <= n; i++) {
		printf "int f%d(int x, struct rec *r);\n", i
		printf "int f%d(int x, struct rec *r)\n{\n", i
		printf "\tif (x > %d)\n", i % 100
		printf "\t\treturn ext(x * %d, \"f%d\");\n", i % 7 + 2, i
		printf "\tr->b += x;\n"
		printf "\treturn r->a ^ %d;\n", i
		print "}"
	}
}
