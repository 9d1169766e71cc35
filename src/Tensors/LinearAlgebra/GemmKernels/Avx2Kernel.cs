using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeFree.Tensors.LinearAlgebra.GemmKernels;

/// <summary>
/// AVX2+FMA micro-kernel: 6 rows × 2 YMM vectors (6×16 float, 6×8 double), the classic Haswell
/// shape: 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 YMM registers, 12 FMAs
/// per k step against 2 loads + 6 broadcasts.
/// </summary>
internal readonly unsafe struct Avx2Kernel<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 6;
    public static int NR => 2 * Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float))
            return System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        return System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(T* c, Vector256<T> acc, Vector256<T> alpha, Vector256<T> beta, bool overwrite)
    {
        if (overwrite) Vector256.Store(alpha * acc, c);
        else Vector256.Store(Fma(beta, Vector256.Load(c), alpha * acc), c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, T* a, nint rsA, nint csA, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
    {
        nint w = Vector256<T>.Count;
        T* a0 = a, a1 = a + rsA, a2 = a1 + rsA, a3 = a2 + rsA, a4 = a3 + rsA, a5 = a4 + rsA;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Count k steps rather than compare offsets: csA may be 0 (an A broadcast along k).
        nint off = 0;
        for (nint p = 0; p < kc; p++, off += csA)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + w);
            b += ldb;
            var x = Vector256.Create(a0[off]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector256.Create(a1[off]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector256.Create(a2[off]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector256.Create(a3[off]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector256.Create(a4[off]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector256.Create(a5[off]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
        }
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        bool ow = beta == T.Zero;
        Update(c, c00, va, vb, ow); Update(c + w, c01, va, vb, ow); c += ldc;
        Update(c, c10, va, vb, ow); Update(c + w, c11, va, vb, ow); c += ldc;
        Update(c, c20, va, vb, ow); Update(c + w, c21, va, vb, ow); c += ldc;
        Update(c, c30, va, vb, ow); Update(c + w, c31, va, vb, ow); c += ldc;
        Update(c, c40, va, vb, ow); Update(c + w, c41, va, vb, ow); c += ldc;
        Update(c, c50, va, vb, ow); Update(c + w, c51, va, vb, ow);
    }
}
