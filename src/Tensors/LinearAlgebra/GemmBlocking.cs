using System.Numerics;
using NativeFree.Tensors.LinearAlgebra.GemmKernels;

namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>
/// Cache blocking of the five GEMM loops for one kernel. In the standard order the KC×NR
/// micro-panel of B stays in L1 while the kernel sweeps the A block, the MC×KC block of A stays in
/// L2 and the KC×NC block of B in L3 (BLIS's rule of thumb, flame/blis "KernelsHowTo"). With
/// <see cref="StreamB"/> the roles are mirrored (see <see cref="GemmDriver{T, K}.PackedStreamB"/>).
/// </summary>
internal readonly record struct GemmBlocking(int MR, int NR, int MC, int KC, int NC, bool StreamB = false)
{
    /// <summary>
    /// Block sizes per kernel and element type, tuned on the reference machine (Zen 5: 48 KB L1d,
    /// 1 MB L2 per core, 32 MB L3) and sensible on Intel parts with 32–48 KB L1 and ≥ 1 MB L2.
    /// </summary>
    public static GemmBlocking For<T>(GemmKernelKind kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int s = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        switch (kind)
        {
            case GemmKernelKind.Avx512:
                // 6×64 float / 6×32 double tile, loops mirrored (StreamB, as BLIS arranges Zen 4): the
                // 6×KC A micro-panel (9 KB float, 18 KB double) stays in L1 while the KC×NC block of B
                // (576 KB) sits in the 1 MB L2 and its micro-panels stream through; the MC×KC block of A
                // (6 MB) lives in L3. The large KC = 384 cuts the passes over C, which dominated at
                // n = 2048–4096 with KC = 96 (measured: ~150 → ~180 GFLOP/s per core).
                return s == 4
                    ? new(Avx512Kernel<T>.MR, Avx512Kernel<T>.NR, MC: 4092, KC: 384, NC: 384, StreamB: true)
                    : new(Avx512Kernel<T>.MR, Avx512Kernel<T>.NR, MC: 2046, KC: 384, NC: 192, StreamB: true);
            case GemmKernelKind.Avx2:
                // 6×16 float / 6×8 double: KC·NR·s = 16 KB of L1; MC·KC·s = 384 KB of L2.
                return s == 4
                    ? new(Avx2Kernel<T>.MR, Avx2Kernel<T>.NR, MC: 384, KC: 256, NC: 4096)
                    : new(Avx2Kernel<T>.MR, Avx2Kernel<T>.NR, MC: 192, KC: 256, NC: 2048);
            case GemmKernelKind.Vector128:
                return s == 4
                    ? new(Vector128Kernel<T>.MR, Vector128Kernel<T>.NR, MC: 384, KC: 256, NC: 4096)
                    : new(Vector128Kernel<T>.MR, Vector128Kernel<T>.NR, MC: 192, KC: 256, NC: 2048);
            default:
                return new(ScalarKernel<T>.MR, ScalarKernel<T>.NR, MC: 128, KC: 256, NC: 1024);
        }
    }
}
