using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeFree.Tensors.LinearAlgebra.GemmKernels;

/// <summary>
/// AVX-512 micro-kernel: 6 rows × 4 ZMM vectors (6×64 float, 6×32 double). 24 accumulators +
/// 4 B vectors fit in the 32 ZMM registers; A is broadcast straight from memory into the FMA
/// (embedded broadcast), so each k step is 24 FMAs for 4 vector loads + 6 broadcasts, enough
/// independent chains to cover the FMA latency (4 cycles × 2 pipes on Zen 4/5 and Skylake-X).
/// Six A row pointers fit in general registers, which lets the kernel read an unpacked A.
/// </summary>
internal readonly unsafe struct Avx512Kernel<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 6;
    public static int NR => 4 * Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float))
            return Avx512F.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        return Avx512F.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(T* c, Vector512<T> acc, Vector512<T> alpha, Vector512<T> beta, bool overwrite)
    {
        if (overwrite) Vector512.Store(alpha * acc, c);
        else Vector512.Store(Fma(beta, Vector512.Load(c), alpha * acc), c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, T* a, nint rsA, nint csA, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
    {
        nint w = Vector512<T>.Count;
        T* a0 = a, a1 = a + rsA, a2 = a1 + rsA, a3 = a2 + rsA, a4 = a3 + rsA, a5 = a4 + rsA;
        Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<T> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<T> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<T> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<T> c50 = default, c51 = default, c52 = default, c53 = default;
        if (beta != T.Zero)
        {
            // Start fetching the C tile now: its update after the k loop would otherwise stall on
            // 24 cache misses (C is far too big for L1 and is revisited once per KC slice).
            T* cp = c;
            for (int i = 0; i < 6; i++, cp += ldc)
            {
                Sse.Prefetch0(cp); Sse.Prefetch0((byte*)cp + 64); Sse.Prefetch0((byte*)cp + 128); Sse.Prefetch0((byte*)cp + 192);
            }
        }
        // Count k steps rather than compare offsets: csA may be 0 (an A broadcast along k).
        nint off = 0;
        for (; kc > 0; kc--, off += csA) // kc is the counter: one general register fewer, so none spills
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + w);
            var b2 = Vector512.Load(b + 2 * w);
            var b3 = Vector512.Load(b + 3 * w);
            b += ldb;
            var x = Vector512.Create(a0[off]);
            c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01); c02 = Fma(x, b2, c02); c03 = Fma(x, b3, c03);
            x = Vector512.Create(a1[off]);
            c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11); c12 = Fma(x, b2, c12); c13 = Fma(x, b3, c13);
            x = Vector512.Create(a2[off]);
            c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21); c22 = Fma(x, b2, c22); c23 = Fma(x, b3, c23);
            x = Vector512.Create(a3[off]);
            c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31); c32 = Fma(x, b2, c32); c33 = Fma(x, b3, c33);
            x = Vector512.Create(a4[off]);
            c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41); c42 = Fma(x, b2, c42); c43 = Fma(x, b3, c43);
            x = Vector512.Create(a5[off]);
            c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51); c52 = Fma(x, b2, c52); c53 = Fma(x, b3, c53);
        }
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        bool ow = beta == T.Zero;
        Update(c, c00, va, vb, ow); Update(c + w, c01, va, vb, ow); Update(c + 2 * w, c02, va, vb, ow); Update(c + 3 * w, c03, va, vb, ow);
        c += ldc;
        Update(c, c10, va, vb, ow); Update(c + w, c11, va, vb, ow); Update(c + 2 * w, c12, va, vb, ow); Update(c + 3 * w, c13, va, vb, ow);
        c += ldc;
        Update(c, c20, va, vb, ow); Update(c + w, c21, va, vb, ow); Update(c + 2 * w, c22, va, vb, ow); Update(c + 3 * w, c23, va, vb, ow);
        c += ldc;
        Update(c, c30, va, vb, ow); Update(c + w, c31, va, vb, ow); Update(c + 2 * w, c32, va, vb, ow); Update(c + 3 * w, c33, va, vb, ow);
        c += ldc;
        Update(c, c40, va, vb, ow); Update(c + w, c41, va, vb, ow); Update(c + 2 * w, c42, va, vb, ow); Update(c + 3 * w, c43, va, vb, ow);
        c += ldc;
        Update(c, c50, va, vb, ow); Update(c + w, c51, va, vb, ow); Update(c + 2 * w, c52, va, vb, ow); Update(c + 3 * w, c53, va, vb, ow);
    }
}
