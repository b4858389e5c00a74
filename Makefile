# The pipeline, one target per step; each is a script under scripts/.
#   make demo        fetch, build the patched kernel, boot it, draw a test card
#   make check       every test on every base (what .ci/run runs)
#   make matrix      the build matrix: every patch in five configurations,
#                    modpost, sparse (not part of check, which builds each
#                    whole submission without an MMU only: its time)
#   make soak        50 cycles of unbind and bind under writers on each
#                    base's debug kernel: nothing may drift (not part of
#                    check, which runs 6)
#   make mutants     each deliberate bug of bases/5.10/mutants/ against the
#                    tests that should catch it (not part of check: two of
#                    them are)
#   make table       the conformance table of the last make check and the
#                    mutants' table of the last make mutants into README.md
#   make fetch       each base's tree + its submissions in work/BASE/linux
#   make export      regenerate bases/BASE/patches from work/BASE/linux
#                    (after committing there)
#   make submission  the submissions signed by you, ready for git send-email
#   make bench       the benchmark (not part of check); its tables go
#                    into README.md (5.10; make bench BASE=7.3: 7.3's)
#   make bench-trace where the writes of a flush period go (the
#                    function graph tracer; not part of check)
#   make bisect-check the debug unbind tests at each core patch of the series
#                    (not part of check)
#   make clean       every build folder, run and result; keeps the trees and
#                    the download (make distclean removes all of work/)
# fetch, export, submission and check work on every base (bases/*), or on
# one: make fetch BASE=7.3. demo and bisect-check use 5.10; bench uses
# BASE (default 5.10; 7.3 also has BENCH_MODES).
.PHONY: demo check matrix soak mutants table fetch export build initramfs submission bench bench-trace bisect-check clean distclean

demo:
	scripts/demo.sh
check:
	scripts/check.sh
matrix:
	scripts/check.sh matrix
soak:
	scripts/check.sh soak
mutants:
	scripts/mutants.sh
table:
	scripts/readme-table.sh
fetch:
	scripts/fetch.sh
export:
	scripts/export.sh
build:
	scripts/build.sh series
initramfs:
	scripts/initramfs.sh
submission:
	scripts/prepare.sh
bench:
	scripts/bench.sh
bench-trace:
	scripts/bench.sh --trace
bisect-check:
	scripts/bisect-boot.sh
clean:
	rm -rf work/*/*/build work/*/runs work/*/check work/check work/*/demo \
		work/*/bench work/*/bench-trace work/*/guest work/*/initramfs.cpio.gz \
		work/*/submission work/*/submission-test work/*/submission-refused \
		work/*/kernels work/*/src/warnings work/*/bisect/results \
		work/*/submission-diff \
		work/*/bisect/table.txt
distclean:
	rm -rf work
