using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using NativeFree.Tensors.LinearAlgebra.GemmKernels;

namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>
/// The BLIS five-loop algorithm on one thread for one kernel <typeparamref name="K"/>
/// (flame/blis <c>bls_gemm_bp_var1.c</c>): jc over NC-column blocks of B and C, pc over KC slices
/// of k (packing B), ic over MC-row blocks of A and C (packing A), then jr/ir over the NR/MR
/// micro-tiles. The k loop is never split between threads: each thread owns a block of C.
/// </summary>
internal static unsafe class GemmDriver<T, K>
    where T : unmanaged, IFloatingPointIeee754<T>
    where K : IGemmMicroKernel<T>
{
    /// <summary>
    /// Packed GEMM of an m×n block of C (m, n, k &gt; 0, alpha ≠ 0): the path for all but small problems.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Packed(int m, int n, int k, T alpha, T* a, nint rsA, nint csA, T* b, nint rsB, nint csB,
        T beta, T* c, nint rsC, nint csC, in GemmBlocking bl)
    {
        int MR = K.MR, NR = K.NR;
        // Buffers hold whole micro-panels: a block of mc rows packs ⌈mc/MR⌉·MR of them (zero-padded).
        int ncMax = RoundUp(Math.Min(bl.NC, n), NR), kcMax = Math.Min(bl.KC, k), mcMax = RoundUp(Math.Min(bl.MC, m), MR);
        T* packB = GemmWorkspace<T>.B((nint)ncMax * kcMax);
        T* packA = GemmWorkspace<T>.A((nint)mcMax * kcMax);
        for (int jc = 0; jc < n; jc += bl.NC)
        {
            int nc = Math.Min(bl.NC, n - jc);
            for (int pc = 0; pc < k; pc += bl.KC)
            {
                int kc = Math.Min(bl.KC, k - pc);
                T betaP = pc == 0 ? beta : T.One;
                Debug.Assert(RoundUp(nc, NR) <= ncMax, "packed B block overruns its buffer");
                GemmPacking.PackB(kc, nc, b + pc * rsB + jc * csB, rsB, csB, packB, NR);
                for (int ic = 0; ic < m; ic += bl.MC)
                {
                    int mc = Math.Min(bl.MC, m - ic);
                    Debug.Assert(RoundUp(mc, MR) <= mcMax, "packed A block overruns its buffer");
                    GemmPacking.PackA(mc, kc, a + ic * rsA + pc * csA, rsA, csA, packA, MR);
                    Macro(mc, nc, kc, alpha, packA, (mc + MR - 1) / MR, (nint)MR * kc, 1, MR, null,
                        packB, (nc + NR - 1) / NR, (nint)NR * kc, NR, null,
                        betaP, c + ic * rsC + jc * csC, rsC, csC);
                }
            }
        }
    }

    /// <summary>
    /// The same five loops with the roles of A and B mirrored (BLIS's Zen 4 arrangement seen from
    /// row-major C): ic over MC-row blocks of A packed once for L3, pc over KC, jc over NC-column
    /// blocks of B packed for L2, then ir outer / jr inner so the small 6×KC A micro-panel stays in
    /// L1 while B micro-panels stream from L2. This allows a large KC (fewer passes over C).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackedStreamB(int m, int n, int k, T alpha, T* a, nint rsA, nint csA, T* b, nint rsB, nint csB,
        T beta, T* c, nint rsC, nint csC, in GemmBlocking bl)
    {
        int MR = K.MR, NR = K.NR;
        // Buffers hold whole micro-panels: a block of mc rows packs ⌈mc/MR⌉·MR of them (zero-padded).
        int ncMax = RoundUp(Math.Min(bl.NC, n), NR), kcMax = Math.Min(bl.KC, k), mcMax = RoundUp(Math.Min(bl.MC, m), MR);
        T* packB = GemmWorkspace<T>.B((nint)ncMax * kcMax);
        T* packA = GemmWorkspace<T>.A((nint)mcMax * kcMax);
        T* tile = stackalloc T[MR * NR];
        for (int ic = 0; ic < m; ic += bl.MC)
        {
            int mc = Math.Min(bl.MC, m - ic);
            for (int pc = 0; pc < k; pc += bl.KC)
            {
                int kc = Math.Min(bl.KC, k - pc);
                T betaP = pc == 0 ? beta : T.One;
                Debug.Assert(RoundUp(mc, MR) <= mcMax, "packed A block overruns its buffer");
                GemmPacking.PackA(mc, kc, a + ic * rsA + pc * csA, rsA, csA, packA, MR);
                for (int jc = 0; jc < n; jc += bl.NC)
                {
                    int nc = Math.Min(bl.NC, n - jc);
                    Debug.Assert(RoundUp(nc, NR) <= ncMax, "packed B block overruns its buffer");
                    GemmPacking.PackB(kc, nc, b + pc * rsB + jc * csB, rsB, csB, packB, NR);
                    T* cBlock = c + ic * rsC + jc * csC;
                    for (int ir = 0; ir < mc; ir += MR)
                    {
                        int mr = Math.Min(MR, mc - ir);
                        T* ap = packA + (nint)ir * kc;
                        for (int jr = 0; jr < nc; jr += NR)
                        {
                            int nr = Math.Min(NR, nc - jr);
                            T* bp = packB + (nint)jr * kc;
                            T* ct = cBlock + ir * rsC + jr * csC;
                            if (mr == MR && nr == NR && csC == 1)
                                K.Run(kc, ap, 1, MR, bp, NR, ct, rsC, alpha, betaP);
                            else
                            {
                                K.Run(kc, ap, 1, MR, bp, NR, tile, NR, T.One, T.Zero);
                                MergeTile(mr, nr, tile, NR, alpha, betaP, ct, rsC, csC);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Unblocked GEMM for small problems: A is read in place by the kernel (its strides go
    /// straight into the micro-kernel), B too when its rows are contiguous; only edge panels
    /// (and a B with non-unit column stride) are packed. No threads, no k blocking.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Small(int m, int n, int k, T alpha, T* a, nint rsA, nint csA, T* b, nint rsB, nint csB,
        T beta, T* c, nint rsC, nint csC)
    {
        int MR = K.MR, NR = K.NR;
        int fullA = m / MR, fullB = n / NR;
        int edgeRows = m - fullA * MR, edgeCols = n - fullB * NR;
        T* aEdge = null, bEdge = null, bBase = b;
        nint bPanelStep = NR, ldb = rsB;
        if (csB != 1)
        {
            // Pack all of B (small by construction); every panel then comes from the packed copy.
            bBase = GemmWorkspace<T>.B((nint)RoundUp(n, NR) * k);
            GemmPacking.PackB(k, n, b, rsB, csB, bBase, NR);
            fullB = (n + NR - 1) / NR; bPanelStep = (nint)NR * k; ldb = NR; edgeCols = 0;
        }
        if (edgeRows > 0 || edgeCols > 0)
        {
            T* edge = GemmWorkspace<T>.Edge((nint)(MR + NR) * k);
            if (edgeRows > 0) { aEdge = edge; GemmPacking.PackAPanel(edgeRows, k, a + fullA * MR * rsA, rsA, csA, aEdge, MR); }
            if (edgeCols > 0) { bEdge = edge + (nint)MR * k; GemmPacking.PackBPanel(k, edgeCols, b + fullB * NR * csB, rsB, csB, bEdge, NR); }
        }
        Macro(m, n, k, alpha, a, fullA, MR * rsA, rsA, csA, aEdge,
            bBase, fullB, bPanelStep, ldb, bEdge, beta, c, rsC, csC);
    }

    /// <summary>
    /// The jr/ir loops over micro-tiles of an mc×nc block. Panel i of A is at
    /// <c>aBase + i*aStep</c> (strides rsA, csA) for i &lt; aFull and at the packed <paramref name="aEdge"/>
    /// (strides 1, MR) for the last partial panel; likewise for B. Tiles that stick out of C,
    /// or a C without unit column stride, go through a small buffer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Macro(int mc, int nc, int kc, T alpha,
        T* aBase, int aFull, nint aStep, nint rsA, nint csA, T* aEdge,
        T* bBase, int bFull, nint bStep, nint ldb, T* bEdge,
        T beta, T* c, nint rsC, nint csC)
    {
        int MR = K.MR, NR = K.NR;
        T* tile = stackalloc T[MR * NR];
        for (int jr = 0, jp = 0; jr < nc; jr += NR, jp++)
        {
            int nr = Math.Min(NR, nc - jr);
            T* bp; nint ldbp;
            if (jp < bFull) { bp = bBase + jp * bStep; ldbp = ldb; }
            else { bp = bEdge; ldbp = NR; }
            for (int ir = 0, ip = 0; ir < mc; ir += MR, ip++)
            {
                int mr = Math.Min(MR, mc - ir);
                T* ap; nint rs, cs;
                if (ip < aFull) { ap = aBase + ip * aStep; rs = rsA; cs = csA; }
                else { ap = aEdge; rs = 1; cs = MR; }
                T* ct = c + ir * rsC + jr * csC;
                if (mr == MR && nr == NR && csC == 1)
                    K.Run(kc, ap, rs, cs, bp, ldbp, ct, rsC, alpha, beta);
                else
                {
                    K.Run(kc, ap, rs, cs, bp, ldbp, tile, NR, T.One, T.Zero);
                    MergeTile(mr, nr, tile, NR, alpha, beta, ct, rsC, csC);
                }
            }
        }
    }

    /// <summary>C = alpha·tile + beta·C on the valid part of an edge tile (beta = 0 overwrites).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeTile(int mr, int nr, T* tile, int ldt, T alpha, T beta, T* c, nint rsC, nint csC)
    {
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++)
            {
                T* cij = c + i * rsC + j * csC;
                *cij = beta == T.Zero ? alpha * tile[i * ldt + j] : alpha * tile[i * ldt + j] + beta * *cij;
            }
    }

    private static int RoundUp(int x, int step) => (x + step - 1) / step * step;
}
