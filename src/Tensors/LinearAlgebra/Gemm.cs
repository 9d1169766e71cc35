using System.Numerics;
using NativeFree.Tensors.LinearAlgebra.GemmKernels;

namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>
/// General matrix multiply, <c>C = alpha·op(A)·op(B) + beta·C</c>, on strided row-major storage.
/// A matrix operand is (span, row stride, column stride): transposes and non-contiguous views
/// are just other strides. When <c>beta</c> is zero, C is overwritten (NaNs in C do not propagate).
/// </summary>
/// <remarks>
/// BLIS-style implementation: A and B are packed into micro-panels inside a five-loop cache
/// blocking, and an MR×NR register-tile micro-kernel for the best instruction set available
/// (AVX-512, AVX2+FMA, 128-bit SIMD, or scalar) does the arithmetic. Large products are split
/// into blocks of C computed by <see cref="Parallelism.Resolve"/> threads; small ones skip
/// packing and threads; matrix–vector shapes stream A once. When <c>alpha</c> is zero or
/// <c>k</c> is zero, A and B are not read and C becomes <c>beta·C</c> (as in BLAS).
/// </remarks>
public static class Gemm
{
    /// <summary>
    /// <c>C[m×n] = alpha·A[m×k]·B[k×n] + beta·C</c>, with A element (i,p) at
    /// <c>a[i*aRowStride + p*aColStride]</c>, and likewise for B and C.
    /// </summary>
    public static void Multiply<T>(int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int aRowStride, int aColStride,
        ReadOnlySpan<T> b, int bRowStride, int bColStride,
        T beta, Span<T> c, int cRowStride, int cColStride, int? threads = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(GemmKernelKinds.Best, GemmPath.Auto, m, n, k, alpha, a, aRowStride, aColStride,
            b, bRowStride, bColStride, beta, c, cRowStride, cColStride, threads);

    /// <summary>
    /// BLAS-style entry point on dense row-major matrices: <c>C = alpha·op(A)·op(B) + beta·C</c>,
    /// where op(X) is X or Xᵀ and lda/ldb/ldc are row strides of the stored matrices.
    /// </summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc, int? threads = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(m, n, k, alpha,
            a, transA ? 1 : lda, transA ? lda : 1,
            b, transB ? 1 : ldb, transB ? ldb : 1,
            beta, c, ldc, 1, threads);

    /// <summary>
    /// Up to this many multiply-adds (m·n·k), with B under 1 MB, a product runs unpacked on the
    /// calling thread. Measured on Zen 5 (best of 2000 calls, float): the unpacked path beats the
    /// packed one on one thread up to n ≈ 384 (n=256: 149 vs 170 µs), and two threads only pay off
    /// from n ≈ 384 (295 vs 499 µs); at n=256 the second thread's start-up ate the gain (204 µs).
    /// </summary>
    internal const long SmallWork = 256L * 256 * 256;

    /// <summary>Each thread gets at least this many multiply-adds; fewer threads are used otherwise.</summary>
    internal const long MinWorkPerThread = 256L * 256 * 256;

    /// <summary>
    /// The same product with the kernel and path chosen by the caller (tests run every kernel the
    /// hardware supports through every path, and tiny <paramref name="blocking"/> to cross every
    /// block boundary with small matrices). <paramref name="kind"/> must be supported.
    /// </summary>
    internal static unsafe void Multiply<T>(GemmKernelKind kind, GemmPath path, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int aRowStride, int aColStride,
        ReadOnlySpan<T> b, int bRowStride, int bColStride,
        T beta, Span<T> c, int cRowStride, int cColStride, int? threads, GemmBlocking? blocking = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"GEMM sizes must be non-negative (m={m}, n={n}, k={k}).");
        if (!GemmKernelKinds.IsSupported(kind)) throw new PlatformNotSupportedException($"GEMM kernel {kind} is not supported on this machine.");
        CheckOperand("c", m, n, cRowStride, cColStride, c.Length);
        if (m == 0 || n == 0) return;
        if ((m > 1 && cRowStride == 0) || (n > 1 && cColStride == 0))
            throw new ArgumentException($"GEMM output C ({m}×{n}) must not have a zero stride (strides {cRowStride}, {cColStride}): its elements would overlap.", nameof(c));
        bool readInputs = k > 0 && alpha != T.Zero;
        if (readInputs)
        {
            CheckOperand("a", m, k, aRowStride, aColStride, a.Length);
            CheckOperand("b", k, n, bRowStride, bColStride, b.Length);
        }
        fixed (T* pa = a, pb = b, pc = c)
        {
            if (!readInputs) { Scale(m, n, beta, pc, cRowStride, cColStride); return; }
            Run(kind, path, m, n, k, alpha, pa, aRowStride, aColStride, pb, bRowStride, bColStride,
                beta, pc, cRowStride, cColStride, Parallelism.Resolve(threads), blocking);
        }
    }

    private static unsafe void Run<T>(GemmKernelKind kind, GemmPath path, int m, int n, int k, T alpha,
        T* a, nint rsA, nint csA, T* b, nint rsB, nint csB, T beta, T* c, nint rsC, nint csC, int threads, GemmBlocking? blocking)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A column-major C is the row-major Cᵀ = Bᵀ·Aᵀ: swap the operands so the kernels store whole rows.
        if (csC != 1 && rsC == 1)
        {
            (m, n) = (n, m);
            T* t = a; a = b; b = t;
            (rsA, csA, rsB, csB) = (csB, rsB, csA, rsA);
            (rsC, csC) = (csC, rsC);
        }
        if (path == GemmPath.Auto)
        {
            if (n == 1) { Gemv.Run(m, k, alpha, a, rsA, csA, b, rsB, beta, c, rsC); return; }
            if (m == 1) { Gemv.Run(n, k, alpha, b, csB, rsB, a, csA, beta, c, csC); return; }
        }
        // A narrow product wastes most of a 64-wide AVX-512 tile on zero padding: the 16-wide AVX2 tile fits better.
        if (path == GemmPath.Auto && kind == GemmKernelKind.Avx512 && n <= Avx2Kernel<T>.NR && (long)m * n * k <= SmallWork
            && GemmKernelKinds.IsSupported(GemmKernelKind.Avx2))
            kind = GemmKernelKind.Avx2;
        switch (kind)
        {
            case GemmKernelKind.Avx512: Run<T, Avx512Kernel<T>>(kind, path, m, n, k, alpha, a, rsA, csA, b, rsB, csB, beta, c, rsC, csC, threads, blocking); break;
            case GemmKernelKind.Avx2: Run<T, Avx2Kernel<T>>(kind, path, m, n, k, alpha, a, rsA, csA, b, rsB, csB, beta, c, rsC, csC, threads, blocking); break;
            case GemmKernelKind.Vector128: Run<T, Vector128Kernel<T>>(kind, path, m, n, k, alpha, a, rsA, csA, b, rsB, csB, beta, c, rsC, csC, threads, blocking); break;
            default: Run<T, ScalarKernel<T>>(kind, path, m, n, k, alpha, a, rsA, csA, b, rsB, csB, beta, c, rsC, csC, threads, blocking); break;
        }
    }

    private static unsafe void Run<T, K>(GemmKernelKind kind, GemmPath path, int m, int n, int k, T alpha,
        T* a, nint rsA, nint csA, T* b, nint rsB, nint csB, T beta, T* c, nint rsC, nint csC, int threads, GemmBlocking? blocking)
        where T : unmanaged, IFloatingPointIeee754<T>
        where K : IGemmMicroKernel<T>
    {
        long work = (long)m * n * k;
        if (path == GemmPath.Small || (path == GemmPath.Auto && work <= SmallWork && (long)k * n * sizeof(T) <= 1 << 20))
        {
            GemmDriver<T, K>.Small(m, n, k, alpha, a, rsA, csA, b, rsB, csB, beta, c, rsC, csC);
            return;
        }
        var job = new GemmJob<T>
        {
            M = m, N = n, K = k, Alpha = alpha, Beta = beta,
            A = a, RsA = rsA, CsA = csA, B = b, RsB = rsB, CsB = csB, C = c, RsC = rsC, CsC = csC,
            Blocking = blocking ?? GemmBlocking.For<T>(kind),
        };
        int parts = (int)Math.Clamp(work / MinWorkPerThread, 1, threads);
        if (path == GemmPath.Packed) parts = threads; // tests: force the split even for small shapes
        (job.PartsM, job.PartsN) = Grid(parts, m, n, K.MR, K.NR);
        GemmThreads.Run(job.PartsM * job.PartsN, &RunPart<T, K>, &job);
    }

    /// <summary>Splits P threads into a PM×PN grid over C whose blocks are as square as possible.</summary>
    private static (int, int) Grid(int parts, int m, int n, int mr, int nr)
    {
        int bestM = 1, bestN = 1;
        double bestScore = double.MaxValue;
        for (int pm = 1; pm <= parts; pm++)
        {
            if (parts % pm != 0) continue;
            int pn = parts / pm;
            if (pm > (m + mr - 1) / mr || pn > (n + nr - 1) / nr) continue; // a thread needs at least one tile
            double score = Math.Abs(Math.Log((double)m / pm / ((double)n / pn)));
            if (score < bestScore) { bestScore = score; bestM = pm; bestN = pn; }
        }
        return (bestM, bestN);
    }

    private static unsafe void RunPart<T, K>(void* context, int part)
        where T : unmanaged, IFloatingPointIeee754<T>
        where K : IGemmMicroKernel<T>
    {
        ref GemmJob<T> j = ref *(GemmJob<T>*)context;
        int pi = part / j.PartsN, pj = part % j.PartsN;
        // Block boundaries fall on whole micro-tiles so that only the last block has edge tiles.
        int tilesM = (j.M + K.MR - 1) / K.MR, tilesN = (j.N + K.NR - 1) / K.NR;
        int i0 = Math.Min(j.M, (int)((long)tilesM * pi / j.PartsM) * K.MR), i1 = Math.Min(j.M, (int)((long)tilesM * (pi + 1) / j.PartsM) * K.MR);
        int c0 = Math.Min(j.N, (int)((long)tilesN * pj / j.PartsN) * K.NR), c1 = Math.Min(j.N, (int)((long)tilesN * (pj + 1) / j.PartsN) * K.NR);
        if (i1 <= i0 || c1 <= c0) return;
        if (j.Blocking.StreamB)
            GemmDriver<T, K>.PackedStreamB(i1 - i0, c1 - c0, j.K, j.Alpha,
                j.A + i0 * j.RsA, j.RsA, j.CsA, j.B + c0 * j.CsB, j.RsB, j.CsB,
                j.Beta, j.C + i0 * j.RsC + c0 * j.CsC, j.RsC, j.CsC, j.Blocking);
        else GemmDriver<T, K>.Packed(i1 - i0, c1 - c0, j.K, j.Alpha,
            j.A + i0 * j.RsA, j.RsA, j.CsA, j.B + c0 * j.CsB, j.RsB, j.CsB,
            j.Beta, j.C + i0 * j.RsC + c0 * j.CsC, j.RsC, j.CsC, j.Blocking);
    }

    /// <summary>C = beta·C (beta = 0 writes zeros, so NaNs in C vanish).</summary>
    private static unsafe void Scale<T>(int m, int n, T beta, T* c, nint rsC, nint csC) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.One) return;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T* cij = c + i * rsC + j * csC;
                *cij = beta == T.Zero ? T.Zero : beta * *cij;
            }
    }

    /// <summary>Throws unless every element (i,j) of a rows×cols operand lies inside its span.</summary>
    private static void CheckOperand(string name, int rows, int cols, int rs, int cs, int length)
    {
        if (rows == 0 || cols == 0) return;
        long lo = (long)(rows - 1) * Math.Min(rs, 0) + (long)(cols - 1) * Math.Min(cs, 0);
        long hi = (long)(rows - 1) * Math.Max(rs, 0) + (long)(cols - 1) * Math.Max(cs, 0);
        if (lo < 0 || hi >= length)
            throw new ArgumentException(
                $"GEMM operand {name} ({rows}×{cols}, row stride {rs}, column stride {cs}) reaches elements {lo}…{hi} but its span has length {length}.", name);
    }
}

/// <summary>Which GEMM path to take; tests force each one.</summary>
internal enum GemmPath
{
    /// <summary>Matrix–vector, small unpacked, or packed multi-threaded, by shape.</summary>
    Auto,
    /// <summary>Unpacked single-threaded kernel loop.</summary>
    Small,
    /// <summary>Packed five-loop path, split over exactly the requested number of threads.</summary>
    Packed,
}

/// <summary>Everything a thread needs to compute its block of C; lives on the caller's stack.</summary>
internal unsafe struct GemmJob<T> where T : unmanaged
{
    public int M, N, K, PartsM, PartsN;
    public T Alpha, Beta;
    public T* A, B, C;
    public nint RsA, CsA, RsB, CsB, RsC, CsC;
    public GemmBlocking Blocking;
}
