;; out = v x W for a row-major W [n, m], with n and m multiples of 4 (callers pad with zeros).
;; Four rows at a time: each 16-byte slice of `out` is loaded and stored once per four rows, and
;; every weight is read exactly once, so the loop runs at the speed memory streams the weights.
;; Compiled by scripts/build-wasm.js into matvecWasm.ts.
(module
  (import "env" "memory" (memory 1))
  (func (export "matvec") (param $v i32) (param $w i32) (param $out i32) (param $n i32) (param $m i32)
    (local $i i32) (local $rowBytes i32) (local $o i32) (local $end i32)
    (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32) (local $vi i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local.set $rowBytes (i32.shl (local.get $m) (i32.const 2)))
    (local.set $end (i32.add (local.get $out) (local.get $rowBytes)))
    ;; out = 0
    (local.set $o (local.get $out))
    (block $zeroDone
      (loop $zero
        (br_if $zeroDone (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (local.get $o) (v128.const i32x4 0 0 0 0))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $zero)))
    (local.set $w0 (local.get $w))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $x0 (v128.load32_splat (local.get $vi)))
        (local.set $x1 (v128.load32_splat offset=4 (local.get $vi)))
        (local.set $x2 (v128.load32_splat offset=8 (local.get $vi)))
        (local.set $x3 (v128.load32_splat offset=12 (local.get $vi)))
        (local.set $w1 (i32.add (local.get $w0) (local.get $rowBytes)))
        (local.set $w2 (i32.add (local.get $w1) (local.get $rowBytes)))
        (local.set $w3 (i32.add (local.get $w2) (local.get $rowBytes)))
        (local.set $o (local.get $out))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $o) (local.get $end)))
            (v128.store (local.get $o)
              (f32x4.add
                (v128.load (local.get $o))
                (f32x4.add
                  (f32x4.add
                    (f32x4.mul (local.get $x0) (v128.load (local.get $w0)))
                    (f32x4.mul (local.get $x1) (v128.load (local.get $w1))))
                  (f32x4.add
                    (f32x4.mul (local.get $x2) (v128.load (local.get $w2)))
                    (f32x4.mul (local.get $x3) (v128.load (local.get $w3)))))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $w0 (i32.add (local.get $w0) (i32.const 16)))
            (local.set $w1 (i32.add (local.get $w1) (i32.const 16)))
            (local.set $w2 (i32.add (local.get $w2) (i32.const 16)))
            (local.set $w3 (i32.add (local.get $w3) (i32.const 16)))
            (br $cols)))
        ;; w3 now points at row i + 4.
        (local.set $w0 (local.get $w3))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows))))
)
