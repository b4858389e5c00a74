# The pipeline, one target per step; each is a script under scripts/.
#   make demo     fetch, build the patched kernel, boot it, draw a test card
#   make check    every test (what .ci/run runs)
#   make fetch    base tree + series in work/linux
#   make export   regenerate patches/ from work/linux (after committing there)
#   make bench    the benchmark (not part of check)
.PHONY: demo check fetch export build initramfs bench clean

demo:
	scripts/demo.sh
check:
	scripts/check.sh
fetch:
	scripts/fetch.sh
export:
	scripts/export.sh
build:
	scripts/build.sh series
initramfs:
	scripts/initramfs.sh
bench:
	scripts/bench.sh
clean:
	rm -rf work/build work/runs work/check work/demo
