using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NativeFree.Kernels.Layers;
using NativeFree.Tensors;
using NativeFree.Tensors.LinearAlgebra;

namespace NativeFree.Kernels.Internal;

/// <summary>
/// The fully connected ABReLU network Dense (ABReLU Dense)* ('ntk' parametrization, no spatial axes) run
/// fused over the whole depth: without spatial axes each kernel entry's recursion only needs the entry
/// itself and the self-variances of its two inputs, which are computed once per input and layer up front.
/// So each vector of 8 entries goes through all L layers in registers, and the NNGP and NTK are written
/// to the output exactly once — no per-layer passes over a tile, no tile buffers, no copy into the
/// result. The only scratch is the input-covariance GEMM of one tile (in L2). Symmetric kernels compute
/// the upper triangle of tiles and mirror each tile right after it (still cache-resident).
/// Same formulas, in the same order, as <see cref="ABRelu.DualRow"/> followed by <see cref="Dense.Pairs"/>.
/// </summary>
internal sealed class FcReluKernel
{
    private readonly double[] _w2, _b2;   // per Dense (L + 1)
    private readonly double[] _vs, _vm;   // per activation: (a² + b²)/2π, 2ab/2π
    private readonly ABRelu[] _acts;
    private readonly Dense[] _dense;
    private readonly bool _mixed;        // some activation has a ≠ 0 (the 2ab terms are needed)
    private int L => _acts.Length;

    /// <summary>A compile-time switch: the JIT specialises generic code per struct type and folds <see cref="Value"/>.</summary>
    private interface IFlag { static abstract bool Value { get; } }
    private readonly struct Yes : IFlag { public static bool Value => true; }
    private readonly struct No : IFlag { public static bool Value => false; }

    private FcReluKernel(Dense[] dense, ABRelu[] acts)
    {
        _dense = dense; _acts = acts;
        _w2 = dense.Select(d => d.WStd * d.WStd).ToArray();
        _b2 = dense.Select(d => d.BStd is { } b ? b * b : 0).ToArray();
        const double inv2Pi = 1.0 / (2 * Math.PI);
        _vs = acts.Select(a => (a.A * a.A + a.B * a.B) * inv2Pi).ToArray();
        _vm = acts.Select(a => 2 * a.A * a.B * inv2Pi).ToArray();
        _mixed = _vm.Any(v => v != 0);
    }

    /// <summary>The fused form of <paramref name="network"/>, or null when it is not Dense (ABReLU Dense)* with 'ntk' Dense layers.</summary>
    public static FcReluKernel? TryCreate(ILayer network)
    {
        var flat = new List<ILayer>();
        if (!Flatten(network, flat) || flat.Count == 0 || flat.Count % 2 == 0) return null;
        var dense = new List<Dense>(); var acts = new List<ABRelu>();
        for (int i = 0; i < flat.Count; i++)
        {
            if (i % 2 == 0)
            {
                if (flat[i] is not Dense { Scaling: WeightScaling.Ntk } d) return null;
                dense.Add(d);
            }
            else
            {
                if (flat[i] is not ABRelu a) return null;
                acts.Add(a);
            }
        }
        return new FcReluKernel(dense.ToArray(), acts.ToArray());

        static bool Flatten(ILayer l, List<ILayer> into)
        {
            if (l is Serial s) { foreach (var c in s.Layers) if (!Flatten(c, into)) return false; return true; }
            into.Add(l);
            return true;
        }
    }

    /// <summary>
    /// Square roots of each input's variance as seen by each activation, and their inverses (0 for zero
    /// variance, so such entries get cos θ = 0 and no NaN): [n, L] for rows, [⌈n/8⌉, L, 8] for columns
    /// (one vector load per layer). The recursion is the one of <see cref="Dense.Covariances"/> and the
    /// activation's self-dual, so diagonal entries match the pair recursion.
    /// </summary>
    public (double[] RowSq, double[] RowInv, double[] ColSq, double[] ColInv) Variances(double[] x, int n, int channels)
    {
        int blocks = (n + 7) / 8;
        var rowSq = new double[Math.Max(1, n * L)]; var rowInv = new double[rowSq.Length];
        var colSq = new double[Math.Max(1, blocks * L * 8)]; var colInv = new double[colSq.Length];
        var v = new double[n];
        double inv = 1.0 / channels;
        for (int i = 0; i < n; i++)
        {
            var xi = x.AsSpan(i * channels, channels);
            v[i] = System.Numerics.Tensors.TensorPrimitives.Dot<double>(xi, xi) * inv;
        }
        Affine(v, _w2[0], _b2[0]);
        var copy = new double[n];
        for (int l = 0; l < L; l++)
        {
            for (int i = 0; i < n; i++)
            {
                double sq = Math.Sqrt(Math.Max(v[i], 0)), iv = sq > 0 ? 1 / sq : 0;
                rowSq[i * L + l] = sq; rowInv[i * L + l] = iv;
                int o = ((i >> 3) * L + l) * 8 + (i & 7);
                colSq[o] = sq; colInv[o] = iv;
            }
            v.CopyTo(copy, 0);
            _acts[l].Dual(copy, copy, v, Span<double>.Empty);
            Affine(v, _w2[l + 1], _b2[l + 1]);
        }
        return (rowSq, rowInv, colSq, colInv);
    }

    private static void Affine(double[] a, double mul, double add)
    {
        System.Numerics.Tensors.TensorPrimitives.Multiply<double>(a, mul, a);
        if (add != 0) System.Numerics.Tensors.TensorPrimitives.Add<double>(a, add, a);
    }

    [ThreadStatic] private static double[]? t_gram;

    /// <summary>
    /// Computes the NNGP and/or NTK of x1 [n1, C] against x2 [n2, C] (symmetric when <paramref name="symmetric"/>:
    /// x2 is x1) straight into <paramref name="nngp"/> / <paramref name="ntk"/> (row-major [n1, n2], either may be null).
    /// The output arrays need not be zeroed: every element is written once (or twice on diagonal tiles).
    /// </summary>
    public void Run<T>(double[] x1, int n1, double[] x2, int n2, int channels, bool symmetric, T[]? nngp, T[]? ntk, KernelOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (rSq, rInv, cSqA, cInvA) = Variances(x1, n1, channels);
        var (cSq, cInv) = (cSqA, cInvA);
        if (!symmetric) { var v2 = Variances(x2, n2, channels); cSq = v2.ColSq; cInv = v2.ColInv; }
        // Tiles of ts×ts entries; a multiple of 8 so column vectors never straddle a tile.
        int ts = Math.Max(8, options.MaxTile / 8 * 8);
        int threads = Parallelism.Resolve(options.Threads);
        // Enough tiles to keep both cores busy to the end (dynamic scheduling evens out triangle tiles).
        while (ts > 32 && (long)((n1 + ts - 1) / ts) * ((n2 + ts - 1) / ts) < 16L * threads) ts /= 2;
        var tiles = new List<(int R0, int C0)>();
        for (int r0 = 0; r0 < n1; r0 += ts)
            for (int c0 = symmetric ? r0 : 0; c0 < n2; c0 += ts) tiles.Add((r0, c0));
        int done = 0;
        var po = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = options.Cancellation };
        Parallel.For(0, tiles.Count, po, ti =>
        {
            var (r0, c0) = tiles[ti];
            int rows = Math.Min(ts, n1 - r0), cols = Math.Min(ts, n2 - c0);
            int ld = (cols + 7) & ~7;
            var gram = t_gram is { } g && g.Length >= ts * ts ? g : (t_gram = new double[ts * ts]);
            Gemm.Multiply(false, true, rows, cols, channels, 1.0 / channels, x1.AsSpan(r0 * channels, rows * channels), channels,
                x2.AsSpan(c0 * channels, cols * channels), channels, 0.0, gram, ld, threads: 1);
            bool diag = symmetric && r0 == c0;
            for (int r = 0; r < rows; r++)
            {
                // On a diagonal tile only the upper triangle (from the vector holding the diagonal) is computed.
                int start = diag ? r & ~7 : 0;
                var gRow = gram.AsSpan(r * ld + start, ld - start);
                var s1 = rSq.AsSpan((r0 + r) * L, L); var i1 = rInv.AsSpan((r0 + r) * L, L);
                var s2 = cSq.AsSpan((c0 + start) / 8 * L * 8); var i2 = cInv.AsSpan((c0 + start) / 8 * L * 8);
                var kRow = nngp is null ? default : nngp.AsSpan((r0 + r) * n2 + c0 + start, cols - start);
                var tRow = ntk is null ? default : ntk.AsSpan((r0 + r) * n2 + c0 + start, cols - start);
                if (_mixed) Row<T, Yes>(gRow, s1, i1, s2, i2, cols - start, kRow, tRow);
                else Row<T, No>(gRow, s1, i1, s2, i2, cols - start, kRow, tRow);
            }
            if (symmetric)
            {
                if (nngp is not null) Mirror(nngp, n2, r0, c0, rows, cols, diag);
                if (ntk is not null) Mirror(ntk, n2, r0, c0, rows, cols, diag);
            }
            int d = Interlocked.Increment(ref done);
            options.Progress?.Report((double)d / tiles.Count);
        });
    }

    /// <summary>
    /// The transposed copy of a finished upper tile into the lower triangle, in 8×8 blocks so both the
    /// (L2-resident) source rows and the destination rows are walked a cache line at a time.
    /// On a diagonal tile, the strict lower triangle is copied from the upper one (exact symmetry).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Mirror<T>(T[] dst, int n, int r0, int c0, int rows, int cols, bool diag)
    {
        for (int rb = 0; rb < rows; rb += 8)
            for (int cb = diag ? rb : 0; cb < cols; cb += 8)
            {
                int re = Math.Min(rb + 8, rows), ce = Math.Min(cb + 8, cols);
                for (int c = cb; c < ce; c++)
                {
                    int to = (c0 + c) * n + r0;
                    for (int r = rb; r < re; r++)
                        if (!diag || r < c) dst[to + r] = dst[(r0 + r) * n + c0 + c];
                }
            }
    }

    /// <summary>
    /// One ABReLU + Dense layer on 8 entries: the formulas of <see cref="ABRelu.DualRow"/> and <see cref="Dense.Pairs"/>
    /// in the same order (norm = √k11·√k22, inv = 1/(√k11·√k22) computed as in DualRow).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Layer<TMixed>(ref Vector512<double> k, ref Vector512<double> t, Vector512<double> norm, Vector512<double> inv,
        Vector512<double> vs, Vector512<double> vm, Vector512<double> w, Vector512<double> b, bool wantT) where TMixed : struct, IFlag
    {
        var c = Vector512.MinNative(Vector512.MaxNative(k * inv, -Vector512<double>.One), Vector512<double>.One);
        var th = VectorMath.AcosSin(c, out var sn);
        var pth = Vector512.Create(Math.PI) - th;
        // With a = 0 in every layer (ReLU) the 2ab terms are exact zeros: skipping them gives the same bits.
        var kn = TMixed.Value ? norm * (vs * (sn + pth * c) - vm * (sn - th * c)) : norm * (vs * (sn + pth * c));
        kn = kn * w + b;
        if (wantT) t = t * (TMixed.Value ? vs * pth + vm * th : vs * pth) * w + kn;
        k = kn;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Vector512<double> k, Vector512<double> t, int e, int count, Span<T> kOut, Span<T> tOut, Span<double> kTmp, Span<double> tTmp)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool wantK = !kOut.IsEmpty, wantT = !tOut.IsEmpty;
        int m = Math.Min(8, count - e);
        if (typeof(T) == typeof(double) && m == 8)
        {
            if (wantK) k.CopyTo(MemoryMarshal.Cast<T, double>(kOut.Slice(e, 8)));
            if (wantT) t.CopyTo(MemoryMarshal.Cast<T, double>(tOut.Slice(e, 8)));
            return;
        }
        if (typeof(T) == typeof(float) && m == 8)
        {
            // Round to nearest, as (float)d: the float32 result is the float64 kernel rounded once.
            if (wantK) Vector512.Narrow(k, k).GetLower().CopyTo(MemoryMarshal.Cast<T, float>(kOut.Slice(e, 8)));
            if (wantT) Vector512.Narrow(t, t).GetLower().CopyTo(MemoryMarshal.Cast<T, float>(tOut.Slice(e, 8)));
            return;
        }
        k.CopyTo(kTmp); t.CopyTo(tTmp);
        for (int j = 0; j < m; j++)
        {
            if (wantK) kOut[e + j] = T.CreateTruncating(kTmp[j]);
            if (wantT) tOut[e + j] = T.CreateTruncating(tTmp[j]);
        }
    }

    /// <summary>One row segment of a tile through all layers: g the input covariances (length padded to 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Row<T, TMixed>(ReadOnlySpan<double> g, ReadOnlySpan<double> sq1, ReadOnlySpan<double> inv1, ReadOnlySpan<double> sq2,
        ReadOnlySpan<double> inv2, int count, Span<T> kOut, Span<T> tOut) where T : unmanaged, IFloatingPointIeee754<T> where TMixed : struct, IFlag
    {
        bool wantK = !kOut.IsEmpty, wantT = !tOut.IsEmpty;
        int L = this.L;
        var w2 = _w2; var b2 = _b2; var vsA = _vs; var vmA = _vm;
        Span<double> kTmp = stackalloc double[8];
        Span<double> tTmp = stackalloc double[8];
        if (Vector512.IsHardwareAccelerated)
        {
            // Two independent vectors per step: one entry's recursion is a serial chain of ~100 dependent
            // instructions per layer (√, polynomial, …), so a single chain leaves the core waiting on latency.
            int e = 0;
            for (; e + 16 <= count + 7 - (count + 7) % 8; e += 16)
            {
                var k0 = Vector512.Create(g.Slice(e, 8)) * Vector512.Create(w2[0]) + Vector512.Create(b2[0]);
                var k1 = Vector512.Create(g.Slice(e + 8, 8)) * Vector512.Create(w2[0]) + Vector512.Create(b2[0]);
                var t0 = k0; var t1 = k1;
                var cs0 = sq2.Slice(e / 8 * L * 8, L * 8); var ci0 = inv2.Slice(e / 8 * L * 8, L * 8);
                var cs1 = sq2.Slice((e / 8 + 1) * L * 8, L * 8); var ci1 = inv2.Slice((e / 8 + 1) * L * 8, L * 8);
                for (int l = 0; l < L; l++)
                {
                    var vsq1 = Vector512.Create(sq1[l]); var vinv1 = Vector512.Create(inv1[l]);
                    var vs = Vector512.Create(vsA[l]); var vm = Vector512.Create(vmA[l]);
                    var w = Vector512.Create(w2[l + 1]); var b = Vector512.Create(b2[l + 1]);
                    Layer<TMixed>(ref k0, ref t0, vsq1 * Vector512.Create(cs0.Slice(l * 8, 8)), vinv1 * Vector512.Create(ci0.Slice(l * 8, 8)), vs, vm, w, b, wantT);
                    Layer<TMixed>(ref k1, ref t1, vsq1 * Vector512.Create(cs1.Slice(l * 8, 8)), vinv1 * Vector512.Create(ci1.Slice(l * 8, 8)), vs, vm, w, b, wantT);
                }
                Store(k0, t0, e, count, kOut, tOut, kTmp, tTmp);
                Store(k1, t1, e + 8, count, kOut, tOut, kTmp, tTmp);
            }
            for (; e < count; e += 8)
            {
                var k = Vector512.Create(g.Slice(e, 8)) * Vector512.Create(w2[0]) + Vector512.Create(b2[0]);
                var t = k;
                var cs = sq2.Slice(e / 8 * L * 8, L * 8); var ci = inv2.Slice(e / 8 * L * 8, L * 8);
                for (int l = 0; l < L; l++)
                    Layer<TMixed>(ref k, ref t, Vector512.Create(sq1[l]) * Vector512.Create(cs.Slice(l * 8, 8)), Vector512.Create(inv1[l]) * Vector512.Create(ci.Slice(l * 8, 8)),
                        Vector512.Create(vsA[l]), Vector512.Create(vmA[l]), Vector512.Create(w2[l + 1]), Vector512.Create(b2[l + 1]), wantT);
                Store(k, t, e, count, kOut, tOut, kTmp, tTmp);
            }
            return;
        }
        for (int e = 0; e < count; e++)
        {
            double k = g[e] * w2[0] + b2[0], t = k;
            var cs = sq2.Slice(e / 8 * L * 8); var ci = inv2.Slice(e / 8 * L * 8);
            for (int l = 0; l < L; l++)
            {
                double norm = sq1[l] * cs[l * 8 + (e & 7)];
                double c = Math.Min(Math.Max(k * (inv1[l] * ci[l * 8 + (e & 7)]), -1), 1);
                double th = VectorMath.AcosSin(c, out double sn);
                double pth = Math.PI - th;
                k = norm * (_vs[l] * (sn + pth * c) - _vm[l] * (sn - th * c));
                k = k * w2[l + 1] + b2[l + 1];
                t = t * (_vs[l] * pth + _vm[l] * th) * w2[l + 1] + k;
            }
            if (wantK) kOut[e] = T.CreateTruncating(k);
            if (wantT) tOut[e] = T.CreateTruncating(t);
        }
    }
}
