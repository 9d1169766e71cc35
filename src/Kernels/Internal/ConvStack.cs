using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NativeFree.Kernels.Layers;
using NativeFree.Tensors.LinearAlgebra;

namespace NativeFree.Kernels.Internal;

/// <summary>
/// The fused kernel path of the common CNN shape: a <see cref="Serial"/> that starts with units of
/// stride-1 <see cref="Conv"/> (any filter, SAME or VALID) each optionally followed by an <see cref="ABRelu"/>,
/// then <see cref="Flatten"/> (diagonal spatial storage) or <see cref="GlobalAvgPool"/> (full P×P storage, the
/// CNTK), then anything. Same mathematics as the layer-by-layer transforms, organised for speed:
/// <list type="bullet">
/// <item>one (x1, x2) pair at a time through all units, in per-thread buffers (no per-layer allocation);</item>
/// <item>each unit is one pass: the conv sum (a Kh×Kw box sum of the map in diagonal mode, Kh·Kw shifted
/// rows accumulated in registers in full mode), the conv's affine map and the ReLU-family dual fused, so a
/// layer is read once and written once;</item>
/// <item>the self-covariances of each input (the dual's normalisers) are computed once per input, not once
/// per tile, with their square roots and inverses;</item>
/// <item>Flatten/GlobalAvgPool reduce the last unit's output directly; the rest of the network runs on the
/// resulting kernel without spatial axes.</item>
/// </list>
/// Parallel over pairs (diagonal) or over output rows within a pair (full: a pair is 2×P² doubles).
/// </summary>
internal sealed class ConvStack
{
    /// <summary>One Conv (+ optional activation) with its geometry and the coefficients of its affine map.</summary>
    internal sealed class Unit
    {
        public required int H, W, Ho, Wo, Kh, Kw, Pt, Pl;
        /// <summary>Σ′ = Scale·ΣΣ + B2; Θ′ = RA·ΣΘ + RB·ΣΣ + RC (NTK: RA = RB = Scale, RC = B2; standard: RB = fan-in channels, RC = 1 with bias).</summary>
        public required double Scale, B2, RA, RB, RC;
        public ABRelu? Act;
        /// <summary>Dual constants (a² + b²)/2π and 2ab/2π.</summary>
        public double Vs, Vm;
        public int P => H * W;
        public int Po => Ho * Wo;
        /// <summary>Width and height of the zero-padded input map (padding Pl/Pt before, Kw−1−Pl/Kh−1−Pt after): every tap of every output reads inside it.</summary>
        public int Wp => W + Kw - 1;
        public int Hp => H + Kh - 1;
        /// <summary>Index of input (0, 0) in the padded map.</summary>
        public int Origin => Pt * Wp + Pl;
        /// <summary>Start of each 8-wide chunk of an output row (the last overlaps when Wo is not a multiple of 8).</summary>
        public int[] ChunkStarts = [];
    }

    private readonly Unit[] _units;
    private readonly int[] _offsets; // start of unit l's map in a per-input trajectory
    private readonly int _trajStride;
    private readonly int _c0, _p0;
    private readonly int _maxP;

    /// <summary>Diagonal (Flatten top) or Full (GlobalAvgPool top).</summary>
    public SpatialMode Mode { get; }
    /// <summary>Layers after the top (run layer by layer on the reduced kernel), or null.</summary>
    public Serial? Rest { get; }
    /// <summary>Channel count the kernel has after the top (Flatten multiplies by positions).</summary>
    public int TopChannels { get; }
    /// <summary>Whether the last unit ends in a nonlinearity (so the top's output is not Gaussian).</summary>
    public bool EndsNonGaussian { get; }

    private ConvStack(Unit[] units, SpatialMode mode, Serial? rest, int c0, int p0, int topChannels)
    {
        _units = units; Mode = mode; Rest = rest; _c0 = c0; _p0 = p0; TopChannels = topChannels;
        _offsets = new int[units.Length];
        int off = 0, maxP = p0;
        for (int l = 0; l < units.Length; l++) { _offsets[l] = off; off += units[l].Po; maxP = Math.Max(maxP, units[l].Po); }
        _trajStride = off + 1; // + the top's reduced self-covariance
        _maxP = maxP;
        EndsNonGaussian = units[^1].Act is not null;
    }

    /// <summary>The fused plan for <paramref name="network"/>, or null when it does not have the supported shape.</summary>
    public static ConvStack? TryCreate(ILayer network, FeatureShape shape, SpatialMode mode, bool covFull)
    {
        if (network is not Serial serial || covFull || mode == SpatialMode.None || shape.Spatial.Length is < 1 or > 2) return null;
        var layers = serial.Layers;
        int h = shape.Spatial.Length == 2 ? shape.Spatial[0] : 1, w = shape.Spatial[^1];
        int channels = shape.Channels;
        var units = new List<Unit>();
        int i = 0;
        while (i < layers.Count && layers[i] is Conv conv)
        {
            if (conv.Strides.Any(s => s != 1) || conv.Filter.Length != shape.Spatial.Length) return null;
            int kh = conv.Filter.Length == 2 ? conv.Filter[0] : 1, kw = conv.Filter[^1];
            var win = new Window2D(kh, kw, 1, 1, conv.Padding);
            int ho, wo, pt, pl;
            try { (ho, wo, pt, pl) = win.Output(h, w, conv.Name); }
            catch (ArgumentException) { return null; } // the layer-by-layer path reports it
            double scale = conv.WStd * conv.WStd / (kh * kw), b2 = conv.BStd is { } bs ? bs * bs : 0;
            bool ntkParam = conv.Scaling == WeightScaling.Ntk;
            var u = new Unit
            {
                H = h, W = w, Ho = ho, Wo = wo, Kh = kh, Kw = kw, Pt = pt, Pl = pl, Scale = scale, B2 = b2,
                RA = scale, RB = ntkParam ? scale : channels, RC = ntkParam ? b2 : conv.BStd is null ? 0 : 1,
            };
            i++;
            if (i < layers.Count && layers[i] is ABRelu ab)
            {
                u.Act = ab;
                u.Vs = (ab.A * ab.A + ab.B * ab.B) / (2 * Math.PI);
                u.Vm = 2 * ab.A * ab.B / (2 * Math.PI);
                i++;
            }
            BuildChunks(u);
            units.Add(u);
            h = ho; w = wo; channels = conv.Channels;
        }
        if (units.Count == 0 || i >= layers.Count) return null;
        var top = layers[i];
        SpatialMode want;
        int topChannels;
        if (top is Flatten) { want = SpatialMode.Diagonal; topChannels = channels * h * w; }
        else if (top is GlobalAvgPool) { want = SpatialMode.Full; topChannels = channels; }
        else return null;
        if (want != mode) return null;
        var rest = i + 1 < layers.Count ? new Serial(layers.Skip(i + 1).ToArray()) : null;
        return new ConvStack(units.ToArray(), mode, rest, shape.Channels, shape.Positions, topChannels);
    }

    private static void BuildChunks(Unit u)
    {
        if (u.Wo < 8) return;
        var starts = new List<int>();
        for (int x = 0; x + 8 <= u.Wo; x += 8) starts.Add(x);
        if (u.Wo % 8 != 0) starts.Add(u.Wo - 8);
        u.ChunkStarts = starts.ToArray();
    }

    // ---------------------------------------------------------------- self-covariances

    /// <summary>
    /// Per-input trajectories: for every unit the square roots and inverse square roots of the
    /// pre-activation variances (the dual's normalisers), and the top's reduced self-covariance.
    /// </summary>
    internal sealed class Trajectories
    {
        public required double[] Sq;
        /// <summary>Inverse square roots (full mode only; empty in diagonal mode, which divides per pair).</summary>
        public required double[] Inv;
        public required int Stride;
        public required int First, Count;
        public double Top(int input) => Sq[(input - First) * Stride + Stride - 1];
    }

    /// <summary>Doubles per input in a trajectory table (square roots; the inverses double it).</summary>
    public int TrajectoryDoubles => _trajStride;

    /// <summary>Trajectories of inputs [first, first + count) of <paramref name="x"/> ([n, P0·C0] row-major).</summary>
    public Trajectories SelfCovariances(double[] x, int first, int count, int threads)
    {
        int len = (long)count * _trajStride <= int.MaxValue ? count * _trajStride : throw new ArgumentException("Too many inputs for one trajectory table.");
        var sq = TileBuffers.RentUncleared(len); // every element is written below
        // Diagonal mode divides by √(k11·k22) per pair instead of reading stored inverses: the table is half the
        // size (fewer first-touch page faults, a pair streams half the bytes) for one division per 8 positions.
        var inv = Mode == SpatialMode.Diagonal ? [] : TileBuffers.RentUncleared(len);
        int row = _p0 * _c0;
        double invC = 1.0 / _c0;
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new DiagonalBuffers(this, false), (n, _, s) =>
        {
            SelfTrajectory(x.AsSpan((first + n) * row, row), sq.AsSpan(n * _trajStride, _trajStride), inv.Length == 0 ? [] : inv.AsSpan(n * _trajStride, _trajStride), s);
            return s;
        }, _ => { });
        return new Trajectories { Sq = sq, Inv = inv, Stride = _trajStride, First = first, Count = count };
    }

    /// <summary>
    /// One input's trajectory: its variance map through the units. An input with itself has correlation 1 at every
    /// position, so the dual needs no arccos: E[φ(u)²] = (a² + b²)/2·k (computed as the pair kernel does at ρ = 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SelfTrajectory(ReadOnlySpan<double> xs, Span<double> outSq, Span<double> outInv, DiagonalBuffers db)
    {
        double invC = 1.0 / _c0;
        var u0 = _units[0];
        var in0 = db.InputS(this, 0, 0);
        for (int iy = 0; iy < u0.H; iy++)
            for (int ix = 0; ix < u0.W; ix++)
            {
                var xv = xs.Slice((iy * u0.W + ix) * _c0, _c0);
                in0[u0.Origin + iy * u0.Wp + ix] = Dot(xv, xv) * invC;
            }
        for (int l = 0; l < _units.Length; l++)
        {
            var u = _units[l];
            bool last = l == _units.Length - 1;
            int m = l & 1;
            SelfUnit(u, db.S[m], last ? db.OutS : db.InputS(this, 1 - m, l + 1), last ? 0 : _units[l + 1].Origin, last ? u.Wo : _units[l + 1].Wp,
                outSq.Slice(_offsets[l], u.Po), outInv.IsEmpty ? [] : outInv.Slice(_offsets[l], u.Po));
        }
        // Flatten: the mean over positions of the diagonal; GlobalAvgPool leaves it stale (not tracked in full).
        var lastU = _units[^1];
        outSq[_trajStride - 1] = Mode == SpatialMode.Diagonal ? Sum(db.OutS.AsSpan(0, lastU.Po)) / lastU.Po : 0;
    }

    /// <summary>
    /// One unit on a variance map: window sum of the padded input, the affine map (its square root and inverse stored
    /// as the dual's normalisers), then the dual at ρ = 1, written into the next unit's padded input.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SelfUnit(Unit u, double[] input, double[] output, int outOrigin, int outStride, Span<double> sq, Span<double> inv)
    {
        int ho = u.Ho, wo = u.Wo, kh = u.Kh, kw = u.Kw, wp = u.Wp;
        bool act = u.Act is not null, hasInv = !inv.IsEmpty;
        double self = u.Vs * Math.PI; // norm·(Vs·(sin 0 + π·1) − Vm·0)
        if (Vector512.IsHardwareAccelerated && wo >= 8)
        {
            ref double s0 = ref MemoryMarshal.GetArrayDataReference(input);
            var vScale = Vector512.Create(u.Scale); var vB2 = Vector512.Create(u.B2); var vSelf = Vector512.Create(self);
            var zero = Vector512<double>.Zero; var one = Vector512<double>.One;
            var chunks = u.ChunkStarts;
            for (int oy = 0; oy < ho; oy++)
                for (int c = 0; c < chunks.Length; c++)
                {
                    int x0 = chunks[c];
                    var acc = Vector512<double>.Zero;
                    for (int dy = 0; dy < kh; dy++)
                    {
                        nuint row = (nuint)((oy + dy) * wp + x0);
                        for (int dx = 0; dx < kw; dx++) acc += Vector512.LoadUnsafe(ref s0, row + (nuint)dx);
                    }
                    var S = Vector512.FusedMultiplyAdd(vScale, acc, vB2);
                    var q = Vector512.Sqrt(Vector512.Max(S, zero));
                    var r = Vector512.ConditionalSelect(Vector512.GreaterThan(q, zero), one / q, zero);
                    int o = oy * wo + x0;
                    q.CopyTo(sq.Slice(o, 8));
                    if (hasInv) r.CopyTo(inv.Slice(o, 8));
                    (act ? q * q * vSelf : S).CopyTo(output.AsSpan(outOrigin + oy * outStride + x0, 8));
                }
            return;
        }
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++)
            {
                double acc = 0;
                for (int dy = 0; dy < kh; dy++)
                    for (int dx = 0; dx < kw; dx++) acc += input[(oy + dy) * wp + ox + dx];
                double S = Math.FusedMultiplyAdd(u.Scale, acc, u.B2);
                double q = Math.Sqrt(Math.Max(S, 0));
                int o = oy * wo + ox;
                sq[o] = q;
                if (hasInv) inv[o] = q > 0 ? 1 / q : 0;
                output[outOrigin + oy * outStride + ox] = act ? q * q * self : S;
            }
    }

    /// <summary>
    /// dst = Σ over the Kh×Kw window of src (stride 1, zero padding): the diagonal of a conv's covariance map, through the
    /// padded-map kernel the fused path uses (for tests).
    /// </summary>
    internal static void WindowSum(ReadOnlySpan<double> src, Span<double> dst, Unit u)
    {
        var padded = new double[u.Hp * u.Wp];
        for (int iy = 0; iy < u.H; iy++) src.Slice(iy * u.W, u.W).CopyTo(padded.AsSpan(u.Origin + iy * u.Wp, u.W));
        var lin = new Unit { H = u.H, W = u.W, Ho = u.Ho, Wo = u.Wo, Kh = u.Kh, Kw = u.Kw, Pt = u.Pt, Pl = u.Pl, Scale = 1, B2 = 0, RA = 1, RB = 1, RC = 0 };
        BuildChunks(lin);
        var output = new double[u.Po];
        SelfUnit(lin, padded, output, 0, u.Wo, new double[u.Po], new double[u.Po]);
        output.CopyTo(dst);
    }

    // ---------------------------------------------------------------- diagonal mode (Flatten top)

    // The dual in three single-vector steps (no tuple of vectors: returning two Vector512 as a tuple made the JIT keep
    // the accumulators of the calling loops in memory, ~5× slower). With c = clamp(Σ/√(k11k22)) and θ = arccos c:
    // Σ′ = √(k11k22)·(Vs·(sin θ + (π − θ)c) − Vm·(sin θ − θc)), Θ′ = Θ·(Vs·(π − θ) + Vm·θ).

    /// <summary>The correlation, clamped; exactly 1 for an input with itself at the same position (computed, it may
    /// round to 1 − 2⁻⁵², and arccos turns that into θ ≈ 2e-8: a ~1e-8 relative NTK error per layer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Correlation(Vector512<double> S, Vector512<double> rinv, bool self)
        => self ? Vector512<double>.One : Vector512.Min(Vector512.Max(S * rinv, -Vector512<double>.One), Vector512<double>.One);

    /// <summary>The correlation S/norm, clamped; 0 where the norm is 0 (a zero input: its map is 0 there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> CorrelationOver(Vector512<double> S, Vector512<double> norm)
    {
        var c = Vector512.Min(Vector512.Max(S / norm, -Vector512<double>.One), Vector512<double>.One);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(norm, Vector512<double>.Zero), c, Vector512<double>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> NngpDual(Vector512<double> vs, Vector512<double> vm, Vector512<double> c, Vector512<double> th, Vector512<double> norm)
    {
        var sn = Vector512.Sqrt(Vector512.Max(Vector512<double>.One - c * c, Vector512<double>.Zero));
        return norm * (vs * (sn + (Vector512.Create(Math.PI) - th) * c) - vm * (sn - th * c));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> NtkDual(Vector512<double> vs, Vector512<double> vm, Vector512<double> th)
        => vs * (Vector512.Create(Math.PI) - th) + vm * th;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (double S, double R) Dual1(Unit u, double S, double R, double norm, double rinv, bool self = false)
    {
        double c = self ? 1 : Math.Min(Math.Max(S * rinv, -1), 1);
        double th = VectorMath.Acos(c);
        double sn = Math.Sqrt(Math.Max(1 - c * c, 0));
        double pth = Math.PI - th;
        return (norm * (u.Vs * (sn + pth * c) - u.Vm * (sn - th * c)), R * (u.Vs * pth + u.Vm * th));
    }

    /// <summary>
    /// Per-thread buffers of the diagonal path: two ping-pong zero-padded maps for the NNGP and two for the NTK (unit l
    /// reads map l mod 2 and writes the other), and the last unit's output. Each map remembers the padded layout it holds
    /// and is cleared only when that layout changes (never for a stack of equal SAME convs): borders are zero and never
    /// written, so the conv needs neither bounds checks nor masks. Four maps instead of one per unit keep a pair's working
    /// set in L1/L2 (a 32×32 map is 9 KB; 21 units of per-layer maps were 388 KB next to the 688 KB of trajectories).
    /// </summary>
    private sealed class DiagonalBuffers
    {
        public readonly double[][] S, T;
        public readonly double[] OutS, OutT;
        private readonly int[] _layoutS = [-1, -1], _layoutT = [-1, -1];
        public DiagonalBuffers(ConvStack st, bool hasNtk)
        {
            var us = st._units;
            int len = us.Max(u => u.Hp * u.Wp);
            S = [new double[len], new double[len]];
            T = hasNtk ? [new double[len], new double[len]] : [];
            OutS = new double[us[^1].Po]; OutT = hasNtk ? new double[us[^1].Po] : [];
        }

        /// <summary>NNGP map <paramref name="m"/>, holding unit <paramref name="l"/>'s padded input layout with zero borders.</summary>
        public double[] InputS(ConvStack st, int m, int l) => Prepare(st, S[m], _layoutS, m, l);

        /// <summary>NTK map <paramref name="m"/>, holding unit <paramref name="l"/>'s padded input layout with zero borders.</summary>
        public double[] InputT(ConvStack st, int m, int l) => Prepare(st, T[m], _layoutT, m, l);

        private static double[] Prepare(ConvStack st, double[] map, int[] layout, int m, int l)
        {
            if (layout[m] != l)
            {
                if (layout[m] >= 0 && !st.SameLayout(layout[m], l)) Array.Clear(map);
                layout[m] = l;
            }
            return map;
        }
    }

    /// <summary>NNGP and NTK (after the Flatten top) of inputs a (row ia of t1) and b (row ib of t2), diagonal mode.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (double Nngp, double Ntk) DiagonalPair(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb, Trajectories t1, int ia, Trajectories t2, int ib, bool hasNtk, bool self, DiagonalBuffers db)
    {
        double invC = 1.0 / _c0;
        var u0 = _units[0];
        var in0 = db.InputS(this, 0, 0);
        for (int iy = 0; iy < u0.H; iy++)
        {
            int d = u0.Origin + iy * u0.Wp, p0 = iy * u0.W;
            for (int ix = 0; ix < u0.W; ix++)
            {
                int p = p0 + ix;
                in0[d + ix] = Dot(xa.Slice(p * _c0, _c0), xb.Slice(p * _c0, _c0)) * invC;
            }
        }
        // The NTK of the raw inputs is 0: unit 0 reads no NTK map (ntkIn false).
        int b1 = (ia - t1.First) * t1.Stride, b2 = (ib - t2.First) * t2.Stride;
        for (int l = 0; l < _units.Length; l++)
        {
            var u = _units[l];
            bool last = l == _units.Length - 1;
            int m = l & 1;
            var outS = last ? db.OutS : db.InputS(this, 1 - m, l + 1);
            var outT = !hasNtk ? [] : last ? db.OutT : db.InputT(this, 1 - m, l + 1);
            int outOrigin = last ? 0 : _units[l + 1].Origin, outStride = last ? u.Wo : _units[l + 1].Wp;
            int off = _offsets[l];
            DiagonalUnit(u, db.S[m], hasNtk && l > 0 ? db.T[m] : [], outS, outT, outOrigin, outStride,
                t1.Sq.AsSpan(b1 + off, u.Po), t2.Sq.AsSpan(b2 + off, u.Po), hasNtk, hasNtk && l > 0, self);
        }
        int pl = _units[^1].Po;
        return (Sum(db.OutS.AsSpan(0, pl)) / pl, hasNtk ? Sum(db.OutT.AsSpan(0, pl)) / pl : 0);
    }

    /// <summary>
    /// One unit in diagonal mode: for each output position the Kh×Kw window sum of the padded input maps (in registers),
    /// then the affine map and the dual; written into the next unit's padded input (origin, stride).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DiagonalUnit(Unit u, double[] inS, double[] inT, double[] outS, double[] outT, int outOrigin, int outStride,
        ReadOnlySpan<double> sq1, ReadOnlySpan<double> sq2, bool hasNtk, bool ntkIn, bool self)
    {
        int ho = u.Ho, wo = u.Wo, kh = u.Kh, kw = u.Kw, wp = u.Wp;
        bool act = u.Act is not null, three = kh == 3 && kw == 3;
        if (Vector512.IsHardwareAccelerated && wo >= 8)
        {
            ref double s0 = ref MemoryMarshal.GetArrayDataReference(inS);
            ref double t0 = ref (ntkIn ? ref MemoryMarshal.GetArrayDataReference(inT) : ref s0);
            ref double q1 = ref MemoryMarshal.GetReference(sq1); ref double q2 = ref MemoryMarshal.GetReference(sq2);
            var vScale = Vector512.Create(u.Scale); var vB2 = Vector512.Create(u.B2);
            var vRA = Vector512.Create(u.RA); var vRB = Vector512.Create(u.RB); var vRC = Vector512.Create(u.RC); var vVs = Vector512.Create(u.Vs); var vVm = Vector512.Create(u.Vm);
            var chunks = u.ChunkStarts;
            for (int oy = 0; oy < ho; oy++)
                for (int c = 0; c < chunks.Length; c++)
                {
                    int x0 = chunks[c];
                    var accS = Vector512<double>.Zero; var accT = Vector512<double>.Zero;
                    if (three)
                    {
                        // 3×3: nine loads summed as a tree (short dependency chains).
                        nuint y0 = (nuint)(oy * wp + x0), y1 = y0 + (nuint)wp, y2 = y1 + (nuint)wp;
                        accS = ((Vector512.LoadUnsafe(ref s0, y0) + Vector512.LoadUnsafe(ref s0, y0 + 1)) + (Vector512.LoadUnsafe(ref s0, y0 + 2) + Vector512.LoadUnsafe(ref s0, y1)))
                            + ((Vector512.LoadUnsafe(ref s0, y1 + 1) + Vector512.LoadUnsafe(ref s0, y1 + 2)) + (Vector512.LoadUnsafe(ref s0, y2) + Vector512.LoadUnsafe(ref s0, y2 + 1)))
                            + Vector512.LoadUnsafe(ref s0, y2 + 2);
                        if (ntkIn)
                            accT = ((Vector512.LoadUnsafe(ref t0, y0) + Vector512.LoadUnsafe(ref t0, y0 + 1)) + (Vector512.LoadUnsafe(ref t0, y0 + 2) + Vector512.LoadUnsafe(ref t0, y1)))
                                + ((Vector512.LoadUnsafe(ref t0, y1 + 1) + Vector512.LoadUnsafe(ref t0, y1 + 2)) + (Vector512.LoadUnsafe(ref t0, y2) + Vector512.LoadUnsafe(ref t0, y2 + 1)))
                                + Vector512.LoadUnsafe(ref t0, y2 + 2);
                    }
                    else if (ntkIn)
                        for (int dy = 0; dy < kh; dy++)
                        {
                            nuint row = (nuint)((oy + dy) * wp + x0);
                            for (int dx = 0; dx < kw; dx++)
                            {
                                accS += Vector512.LoadUnsafe(ref s0, row + (nuint)dx);
                                accT += Vector512.LoadUnsafe(ref t0, row + (nuint)dx);
                            }
                        }
                    else
                        for (int dy = 0; dy < kh; dy++)
                        {
                            nuint row = (nuint)((oy + dy) * wp + x0);
                            for (int dx = 0; dx < kw; dx++) accS += Vector512.LoadUnsafe(ref s0, row + (nuint)dx);
                        }
                    var S = Vector512.FusedMultiplyAdd(vScale, accS, vB2);
                    var R = hasNtk ? Vector512.FusedMultiplyAdd(vRA, accT, Vector512.FusedMultiplyAdd(vRB, accS, vRC)) : default;
                    nuint o = (nuint)(oy * wo + x0);
                    if (act)
                    {
                        var norm = Vector512.LoadUnsafe(ref q1, o) * Vector512.LoadUnsafe(ref q2, o);
                        var cc = self ? Vector512<double>.One : CorrelationOver(S, norm);
                        var th = VectorMath.Acos(cc);
                        S = NngpDual(vVs, vVm, cc, th, norm);
                        if (hasNtk) R *= NtkDual(vVs, vVm, th);
                    }
                    int d = outOrigin + oy * outStride + x0;
                    S.CopyTo(outS.AsSpan(d, 8));
                    if (hasNtk) R.CopyTo(outT.AsSpan(d, 8));
                }
            return;
        }
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++)
            {
                double accS = 0, accT = 0;
                for (int dy = 0; dy < kh; dy++)
                    for (int dx = 0; dx < kw; dx++)
                    {
                        int idx = (oy + dy) * wp + ox + dx;
                        accS += inS[idx];
                        if (ntkIn) accT += inT[idx];
                    }
                double S = Math.FusedMultiplyAdd(u.Scale, accS, u.B2);
                double R = hasNtk ? u.RA * accT + (u.RB * accS + u.RC) : 0;
                int o = oy * wo + ox;
                if (act)
                {
                    double norm = sq1[o] * sq2[o];
                    (S, R) = Dual1(u, S, R, norm, norm > 0 ? 1 / norm : 0, self);
                }
                int d = outOrigin + oy * outStride + ox;
                outS[d] = S;
                if (hasNtk) outT[d] = R;
            }
    }

    // ---------------------------------------------------------------- full mode (GlobalAvgPool top)

    /// <summary>
    /// Buffers of one pair in full mode: ping-pong maps for the NNGP and the NTK with one row per input position o1, each
    /// row the zero-padded map over o2 of the unit that reads it (so shifted vector loads need no masks or bounds checks).
    /// A buffer is cleared only when the padded layout it holds changes (never for a stack of equal SAME convs).
    /// </summary>
    private sealed class FullBuffers
    {
        public readonly double[][] Maps; // S0, S1, T0, T1
        public readonly int[] Layout;    // index of the unit whose input layout each map holds (−1: all zero)
        public FullBuffers(ConvStack st, bool hasNtk)
        {
            long len = st.FullMapDoubles();
            if (len > Array.MaxLength) throw new ArgumentException($"A {st._maxP}×{st._maxP} spatial covariance does not fit one array.");
            Maps = [new double[len], new double[len], hasNtk ? new double[len] : [], hasNtk ? new double[len] : []];
            Layout = [-1, -1, -1, -1];
        }

        /// <summary>Makes map <paramref name="m"/> hold unit <paramref name="l"/>'s padded input layout with zero borders.</summary>
        public void Prepare(ConvStack st, int m, int l)
        {
            if (Layout[m] == l || Maps[m].Length == 0) return;
            if (Layout[m] >= 0 && !st.SameLayout(Layout[m], l)) Array.Clear(Maps[m]);
            Layout[m] = l;
        }
    }

    private long FullMapDoubles() => _units.Max(u => (long)u.P * u.Hp * u.Wp);

    private bool SameLayout(int a, int b)
    {
        var (u, v) = (_units[a], _units[b]);
        return u.H == v.H && u.W == v.W && u.Hp == v.Hp && u.Wp == v.Wp && u.Pt == v.Pt && u.Pl == v.Pl;
    }

    /// <summary>Bytes of the per-pair buffers of full mode (for the memory budget).</summary>
    public long FullPairBytes(bool hasNtk) => Mode == SpatialMode.Full ? FullMapDoubles() * 8 * (hasNtk ? 4 : 2) : 0;

    /// <summary>Bytes of source segments one column block keeps hot (about half of a 1 MB L2).</summary>
    internal static int ColumnBlockBytes = 512 * 1024;

    /// <summary>NNGP and NTK (after GlobalAvgPool) of one pair, full mode, parallel over output rows.</summary>
    private (double Nngp, double Ntk) FullPair(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb, Trajectories t1, int ia, Trajectories t2, int ib,
        bool hasNtk, FullBuffers fb, int threads, CancellationToken ct)
    {
        // Input covariance x_a(o1)·x_b(o2)/C into the first unit's padded rows; the input NTK is zero (not stored: unit 0 skips it).
        fb.Prepare(this, 0, 0);
        InputCovariance(xa, xb, fb.Maps[0], _units[0], _c0);
        int sIn = 0, tIn = 2;
        int base1 = (ia - t1.First) * t1.Stride, base2 = (ib - t2.First) * t2.Stride;
        var po = new ParallelOptions { MaxDegreeOfParallelism = threads };
        var rowSumS = new double[_units[^1].Po]; var rowSumT = new double[_units[^1].Po];
        for (int l = 0; l < _units.Length; l++)
        {
            ct.ThrowIfCancellationRequested();
            var u = _units[l];
            bool last = l == _units.Length - 1;
            int sOut = 1 - sIn, tOut = 5 - tIn;
            Unit? next = last ? null : _units[l + 1];
            if (!last) { fb.Prepare(this, sOut, l + 1); fb.Prepare(this, tOut, l + 1); }
            int Po = u.Po, blocks = Math.Min(Po, threads * 2);
            int off = _offsets[l];
            var (si, so, ti, to) = (fb.Maps[sIn], fb.Maps[sOut], fb.Maps[tIn], fb.Maps[tOut]);
            bool ntkIn = hasNtk && l > 0;
            Parallel.For(0, blocks, po, b =>
            {
                int o1a = (int)((long)Po * b / blocks), o1b = (int)((long)Po * (b + 1) / blocks);
                FullRows(u, next, si, so, ti, to, hasNtk, ntkIn, o1a, o1b,
                    t1.Sq.AsSpan(base1 + off, Po), t1.Inv.AsSpan(base1 + off, Po), t2.Sq.AsSpan(base2 + off, Po), t2.Inv.AsSpan(base2 + off, Po),
                    last ? rowSumS : null, last ? rowSumT : null);
            });
            sIn = sOut; tIn = tOut;
        }
        // Row sums in row order: the same result whatever the thread count.
        int pl = _units[^1].Po;
        double ss = 0, st = 0;
        for (int o = 0; o < pl; o++) { ss += rowSumS[o]; if (hasNtk) st += rowSumT[o]; }
        double n = (double)pl * pl;
        return (ss / n, hasNtk ? st / n : 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputCovariance(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb, double[] dst, Unit u, int c0)
    {
        int P = u.P, L = u.Hp * u.Wp;
        double invC = 1.0 / c0;
        for (int o1 = 0; o1 < P; o1++)
        {
            var a = xa.Slice(o1 * c0, c0);
            for (int iy = 0; iy < u.H; iy++)
            {
                int d = o1 * L + u.Origin + iy * u.Wp;
                for (int ix = 0; ix < u.W; ix++) dst[d + ix] = Dot(a, xb.Slice((iy * u.W + ix) * c0, c0)) * invC;
            }
        }
    }

    /// <summary>
    /// Output rows [o1a, o1b) of one unit in full mode: dst[o1, o2] = Σ_d src[o1 + d, o2 + d] over the taps d valid at o1
    /// (the o2 side reads the zero-padded rows), accumulated in registers; then the affine map and the dual with the row's
    /// variance against the column variances; written into the next unit's padded rows, or (last unit) only summed per row
    /// for GlobalAvgPool.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FullRows(Unit u, Unit? next, double[] src, double[] dst, double[] tsrc, double[] tdst, bool hasNtk, bool ntkIn, int o1a, int o1b,
        ReadOnlySpan<double> sq1, ReadOnlySpan<double> inv1, ReadOnlySpan<double> sq2, ReadOnlySpan<double> inv2, double[]? rowSumS, double[]? rowSumT)
    {
        int w = u.W, h = u.H, wo = u.Wo, ho = u.Ho, Po = u.Po, kw = u.Kw, kh = u.Kh, pt = u.Pt, pl = u.Pl, wp = u.Wp, Lin = u.Hp * u.Wp;
        int Lout = next is null ? Po : next.Hp * next.Wp, oOrigin = next is null ? 0 : next.Origin, oStride = next is null ? wo : next.Wp;
        int nt = kh * kw;
        Span<int> tapOff = nt <= 64 ? stackalloc int[nt] : new int[nt];
        // The last unit's rows only feed GlobalAvgPool: written to a small row buffer and summed.
        double[]? lastS = next is null ? new double[Po] : null, lastT = next is null && hasNtk ? new double[Po] : null;
        ref double s0 = ref MemoryMarshal.GetArrayDataReference(src);
        ref double t0 = ref (ntkIn ? ref MemoryMarshal.GetArrayDataReference(tsrc) : ref s0);
        bool vec = Vector512.IsHardwareAccelerated && wo >= 8;
        bool act = u.Act is not null;
        // Columns in blocks of output rows y2: one sweep over this thread's rows o1 then reads, of each source row, only
        // the block's segment (plus a halo of Kh − 1 rows), so the source rows a sweep keeps in use fit in L2 and each is
        // fetched from memory about once per layer instead of Kh times.
        int yBlock = Math.Max(1, ColumnBlockBytes / (8 * wp * (hasNtk ? 2 : 1) * kh * w));
        for (int yb = 0; yb < ho; yb += yBlock)
        {
            int yEnd = Math.Min(ho, yb + yBlock);
            for (int o1 = o1a; o1 < o1b; o1++)
            {
                int y1 = o1 / wo, x1 = o1 - y1 * wo;
                int taps = 0;
                for (int dy = 0; dy < kh; dy++)
                {
                    int iy = y1 + dy - pt;
                    if ((uint)iy >= (uint)h) continue;
                    for (int dx = 0; dx < kw; dx++)
                    {
                        int ix = x1 + dx - pl;
                        if ((uint)ix >= (uint)w) continue;
                        // Output (y2, x2) reads padded (y2 + dy, x2 + dx) of source row (iy, ix).
                        tapOff[taps++] = (iy * w + ix) * Lin + dy * wp + dx;
                    }
                }
                var drow = lastS is not null ? lastS.AsSpan() : dst.AsSpan(o1 * Lout, Lout);
                var trow = !hasNtk ? Span<double>.Empty : lastT is not null ? lastT.AsSpan() : tdst.AsSpan(o1 * Lout, Lout);
                double q1 = sq1[o1], r1 = inv1[o1];
                if (vec)
                    FullRowVector(u, ref s0, ref t0, tapOff.Slice(0, taps), ntkIn, hasNtk, yb, yEnd, q1, r1, sq2, inv2, drow, trow, oOrigin, oStride);
                else
                {
                    for (int y2 = yb; y2 < yEnd; y2++)
                        for (int x2 = 0; x2 < wo; x2++)
                        {
                            int o2 = y2 * wo + x2;
                            double accS = 0, accT = 0;
                            for (int k = 0; k < taps; k++)
                            {
                                int idx = tapOff[k] + y2 * wp + x2;
                                accS += src[idx];
                                if (ntkIn) accT += tsrc[idx];
                            }
                            double S = Math.FusedMultiplyAdd(u.Scale, accS, u.B2);
                            double R = u.RA * accT + (u.RB * accS + u.RC);
                            if (act) (S, R) = Dual1(u, S, R, q1 * sq2[o2], r1 * inv2[o2]);
                            int d = oOrigin + y2 * oStride + x2;
                            drow[d] = S;
                            if (hasNtk) trow[d] = R;
                        }
                }
                if (rowSumS is not null)
                {
                    // Block sums in block order: deterministic whatever the split over threads.
                    double bs = Sum(drow.Slice(yb * wo, (yEnd - yb) * wo)), bt = hasNtk ? Sum(trow.Slice(yb * wo, (yEnd - yb) * wo)) : 0;
                    rowSumS[o1] = yb == 0 ? bs : rowSumS[o1] + bs;
                    if (hasNtk) rowSumT![o1] = yb == 0 ? bt : rowSumT![o1] + bt;
                }
            }
        }
    }

    /// <summary>
    /// One output row o1, columns of rows [yb, yEnd), vectorised: the window sum over the taps (nine unrolled for 3×3
    /// interiors), the affine map and the dual. A small method of its own so the JIT keeps the loop in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FullRowVector(Unit u, ref double s0, ref double t0, ReadOnlySpan<int> tapOff, bool ntkIn, bool hasNtk, int yb, int yEnd,
        double q1, double r1, ReadOnlySpan<double> sq2, ReadOnlySpan<double> inv2, Span<double> drow, Span<double> trow, int oOrigin, int oStride)
    {
        int wp = u.Wp, wo = u.Wo, taps = tapOff.Length;
        var chunks = u.ChunkStarts;
        var vScale = Vector512.Create(u.Scale); var vB2 = Vector512.Create(u.B2);
        var vRA = Vector512.Create(u.RA); var vRB = Vector512.Create(u.RB); var vRC = Vector512.Create(u.RC);
        var vVs = Vector512.Create(u.Vs); var vVm = Vector512.Create(u.Vm);
        var vq1 = Vector512.Create(q1); var vr1 = Vector512.Create(r1);
        bool act = u.Act is not null;
        bool nine = taps == 9;
        nuint k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0, k7 = 0, k8 = 0;
        if (nine)
        {
            k0 = (nuint)tapOff[0]; k1 = (nuint)tapOff[1]; k2 = (nuint)tapOff[2]; k3 = (nuint)tapOff[3]; k4 = (nuint)tapOff[4];
            k5 = (nuint)tapOff[5]; k6 = (nuint)tapOff[6]; k7 = (nuint)tapOff[7]; k8 = (nuint)tapOff[8];
        }
        for (int y2 = yb; y2 < yEnd; y2++)
        {
            int rowOff = y2 * wp;
            for (int c = 0; c < chunks.Length; c++)
            {
                int x0 = chunks[c];
                nuint b = (nuint)(rowOff + x0);
                Vector512<double> accS, accT = Vector512<double>.Zero;
                if (nine)
                {
                    accS = ((Vector512.LoadUnsafe(ref s0, b + k0) + Vector512.LoadUnsafe(ref s0, b + k1)) + (Vector512.LoadUnsafe(ref s0, b + k2) + Vector512.LoadUnsafe(ref s0, b + k3)))
                        + ((Vector512.LoadUnsafe(ref s0, b + k4) + Vector512.LoadUnsafe(ref s0, b + k5)) + (Vector512.LoadUnsafe(ref s0, b + k6) + Vector512.LoadUnsafe(ref s0, b + k7)))
                        + Vector512.LoadUnsafe(ref s0, b + k8);
                    if (ntkIn)
                        accT = ((Vector512.LoadUnsafe(ref t0, b + k0) + Vector512.LoadUnsafe(ref t0, b + k1)) + (Vector512.LoadUnsafe(ref t0, b + k2) + Vector512.LoadUnsafe(ref t0, b + k3)))
                            + ((Vector512.LoadUnsafe(ref t0, b + k4) + Vector512.LoadUnsafe(ref t0, b + k5)) + (Vector512.LoadUnsafe(ref t0, b + k6) + Vector512.LoadUnsafe(ref t0, b + k7)))
                            + Vector512.LoadUnsafe(ref t0, b + k8);
                }
                else
                {
                    accS = Vector512<double>.Zero;
                    for (int k = 0; k < taps; k++)
                    {
                        nuint idx = b + (nuint)tapOff[k];
                        accS += Vector512.LoadUnsafe(ref s0, idx);
                        if (ntkIn) accT += Vector512.LoadUnsafe(ref t0, idx);
                    }
                }
                var S = Vector512.FusedMultiplyAdd(vScale, accS, vB2);
                var R = Vector512.FusedMultiplyAdd(vRA, accT, Vector512.FusedMultiplyAdd(vRB, accS, vRC));
                int o2 = y2 * wo + x0;
                if (act)
                {
                    var cc = Correlation(S, vr1 * Vector512.Create(inv2.Slice(o2, 8)), false);
                    var th = VectorMath.Acos(cc);
                    S = NngpDual(vVs, vVm, cc, th, vq1 * Vector512.Create(sq2.Slice(o2, 8)));
                    if (hasNtk) R *= NtkDual(vVs, vVm, th);
                }
                int d = oOrigin + y2 * oStride + x0;
                S.CopyTo(drow.Slice(d, 8));
                if (hasNtk) R.CopyTo(trow.Slice(d, 8));
            }
        }
    }

    /// <summary>Sum of a span in a fixed order (vector lanes, then lanes, then the tail).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double Sum(ReadOnlySpan<double> a)
    {
        int i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && a.Length >= 8)
        {
            var acc = Vector512<double>.Zero;
            for (; i <= a.Length - 8; i += 8) acc += Vector512.Create(a.Slice(i, 8));
            s = Vector512.Sum(acc);
        }
        for (; i < a.Length; i++) s += a[i];
        return s;
    }

    /// <summary>x·y/C over a short channel vector (C is 3 for images: a call to TensorPrimitives would cost more than the sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double s = 0;
        for (int c = 0; c < x.Length; c++) s += x[c] * y[c];
        return s;
    }

    // ---------------------------------------------------------------- one tile

    /// <summary>
    /// The kernel of one tile after the top (no spatial axes), then the rest of the network. With
    /// <paramref name="same"/> (a diagonal tile of a symmetric kernel) only pairs j ≥ i are computed and mirrored.
    /// </summary>
    public Kernel Tile(double[] x1, int r0, int rows, Trajectories t1, double[] x2, int c0, int cols, Trajectories t2,
        bool same, bool hasNtk, int threads, CancellationToken ct)
    {
        int row = _p0 * _c0;
        var nngp = new double[rows * cols];
        var ntk = hasNtk ? new double[rows * cols] : null;
        var pairs = new List<(int I, int J)>(same ? rows * (rows + 1) / 2 : rows * cols);
        for (int i = 0; i < rows; i++)
            for (int j = same ? i : 0; j < cols; j++) pairs.Add((i, j));
        if (Mode == SpatialMode.Diagonal)
        {
            Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct }, () => new DiagonalBuffers(this, hasNtk), (pi, _, s) =>
            {
                var (i, j) = pairs[pi];
                var (a, b) = DiagonalPair(x1.AsSpan((r0 + i) * row, row), x2.AsSpan((c0 + j) * row, row), t1, r0 + i, t2, c0 + j, hasNtk, same && i == j, s);
                nngp[i * cols + j] = a; if (ntk is not null) ntk[i * cols + j] = b;
                if (same) { nngp[j * cols + i] = a; if (ntk is not null) ntk[j * cols + i] = b; }
                return s;
            }, _ => { });
        }
        else
        {
            var fb = new FullBuffers(this, hasNtk);
            foreach (var (i, j) in pairs)
            {
                ct.ThrowIfCancellationRequested();
                var (a, b) = FullPair(x1.AsSpan((r0 + i) * row, row), x2.AsSpan((c0 + j) * row, row), t1, r0 + i, t2, c0 + j, hasNtk, fb, threads, ct);
                nngp[i * cols + j] = a; if (ntk is not null) ntk[i * cols + j] = b;
                if (same) { nngp[j * cols + i] = a; if (ntk is not null) ntk[j * cols + i] = b; }
            }
        }
        var cov1 = new double[rows]; var cov2 = new double[cols];
        if (Mode == SpatialMode.Diagonal)
        {
            for (int i = 0; i < rows; i++) cov1[i] = t1.Top(r0 + i);
            for (int j = 0; j < cols; j++) cov2[j] = t2.Top(c0 + j);
        }
        var k = new Kernel(rows, cols, SpatialMode.None, [], nngp, ntk, cov1, cov2, false, TopChannels, same)
        {
            IsGaussian = !EndsNonGaussian,
            CovStale = Mode == SpatialMode.Full, // GlobalAvgPool without full self-covariances (as its Transform does)
            Cancellation = ct,
        };
        return Rest is null ? k : Rest.Transform(k);
    }
}
