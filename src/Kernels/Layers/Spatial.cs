using System.Runtime.Intrinsics;
namespace NativeFree.Kernels.Layers;

/// <summary>Padding of convolutions and pooling.</summary>
public enum Padding
{
    /// <summary>Only windows fully inside the input: out = ⌊(in − k)/s⌋ + 1.</summary>
    Valid,
    /// <summary>Zero padding so that out = ⌈in/s⌉ (extra pad at the end, as in TensorFlow/JAX).</summary>
    Same,
}

/// <summary>Window geometry on a 2-D grid (1-D inputs use height 1).</summary>
internal readonly record struct Window2D(int Kh, int Kw, int Sh, int Sw, Padding Padding)
{
    public (int Ho, int Wo, int PadTop, int PadLeft) Output(int h, int w, string layer)
    {
        int ho, wo, pt = 0, pl = 0;
        if (Padding == Padding.Valid)
        {
            if (h < Kh || w < Kw)
                throw new ArgumentException($"{layer}: window {Kh}×{Kw} is larger than the {h}×{w} input with VALID padding.");
            ho = (h - Kh) / Sh + 1; wo = (w - Kw) / Sw + 1;
        }
        else
        {
            ho = (h + Sh - 1) / Sh; wo = (w + Sw - 1) / Sw;
            pt = Math.Max((ho - 1) * Sh + Kh - h, 0) / 2;
            pl = Math.Max((wo - 1) * Sw + Kw - w, 0) / 2;
        }
        return (ho, wo, pt, pl);
    }
}

/// <summary>
/// The spatial linear maps of convolution and pooling applied to covariances, for the diagonal
/// [P] and full [P, P] layouts. Zero padding contributes zero covariance.
/// </summary>
internal static class SpatialOps
{
    /// <summary>dst[o] = Σ_d src[in(o, d)] over the Kh×Kw taps (same tap on both sides: the diagonal of a conv).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ConvDiagonal(ReadOnlySpan<double> src, int h, int w, Span<double> dst, Window2D win, int ho, int wo, int pt, int pl)
    {
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++)
            {
                double s = 0;
                for (int dy = 0; dy < win.Kh; dy++)
                {
                    int iy = oy * win.Sh + dy - pt;
                    if ((uint)iy >= (uint)h) continue;
                    for (int dx = 0; dx < win.Kw; dx++)
                    {
                        int ix = ox * win.Sw + dx - pl;
                        if ((uint)ix >= (uint)w) continue;
                        s += src[iy * w + ix];
                    }
                }
                dst[oy * wo + ox] = s;
            }
    }

    /// <summary>dst[o1, o2] = Σ_d src[in(o1, d), in(o2, d)]: a convolution with weights shared by both positions.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ConvFull(ReadOnlySpan<double> src, int h, int w, Span<double> dst, Window2D win, int ho, int wo, int pt, int pl)
    {
        int P = h * w, Po = ho * wo;
        dst.Slice(0, Po * Po).Clear();
        for (int o1y = 0; o1y < ho; o1y++)
            for (int o1x = 0; o1x < wo; o1x++)
            {
                var drow = dst.Slice((o1y * wo + o1x) * Po, Po);
                for (int dy = 0; dy < win.Kh; dy++)
                {
                    int i1y = o1y * win.Sh + dy - pt;
                    if ((uint)i1y >= (uint)h) continue;
                    for (int dx = 0; dx < win.Kw; dx++)
                    {
                        int i1x = o1x * win.Sw + dx - pl;
                        if ((uint)i1x >= (uint)w) continue;
                        var srow = src.Slice((i1y * w + i1x) * P, P);
                        // Range of o2x with 0 ≤ o2x·Sw + dx − pl < w.
                        int lo = Math.Max(0, (pl - dx + win.Sw - 1) / win.Sw);
                        int hi = Math.Min(wo - 1, (w - 1 + pl - dx) / win.Sw);
                        if (hi < lo) continue;
                        for (int o2y = 0; o2y < ho; o2y++)
                        {
                            int i2y = o2y * win.Sh + dy - pt;
                            if ((uint)i2y >= (uint)h) continue;
                            int ix0 = lo * win.Sw + dx - pl;
                            var d = drow.Slice(o2y * wo + lo, hi - lo + 1);
                            if (win.Sw == 1)
                                AddInPlace(d, srow.Slice(i2y * w + ix0, hi - lo + 1));
                            else
                                for (int t = 0; t < d.Length; t++) d[t] += srow[i2y * w + ix0 + t * win.Sw];
                        }
                    }
                }
            }
    }

    // Short rows (one image row, ~32 long) are too short to amortise a TensorPrimitives call: add inline.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void AddInPlace(Span<double> d, ReadOnlySpan<double> s)
    {
        int i = 0;
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
            for (; i <= d.Length - 8; i += 8)
                (System.Runtime.Intrinsics.Vector512.Create((ReadOnlySpan<double>)d.Slice(i, 8)) + System.Runtime.Intrinsics.Vector512.Create(s.Slice(i, 8))).CopyTo(d.Slice(i, 8));
        for (; i < d.Length; i++) d[i] += s[i];
    }

    /// <summary>Sum pooling of one H×W map: dst[o] = Σ_{a in window(o)} src[a].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Pool(ReadOnlySpan<double> src, int srcStride, int h, int w, Span<double> dst, int dstStride, Window2D win, int ho, int wo, int pt, int pl)
    {
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++)
            {
                double s = 0;
                for (int dy = 0; dy < win.Kh; dy++)
                {
                    int iy = oy * win.Sh + dy - pt;
                    if ((uint)iy >= (uint)h) continue;
                    for (int dx = 0; dx < win.Kw; dx++)
                    {
                        int ix = ox * win.Sw + dx - pl;
                        if ((uint)ix >= (uint)w) continue;
                        s += src[(iy * w + ix) * srcStride];
                    }
                }
                dst[(oy * wo + ox) * dstStride] = s;
            }
    }

    /// <summary>dst[o1, o2] = Σ_{a ∈ win(o1), b ∈ win(o2)} src[a, b] (separable: columns then rows).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void PoolFull(ReadOnlySpan<double> src, int h, int w, Span<double> dst, Window2D win, int ho, int wo, int pt, int pl)
    {
        int P = h * w, Po = ho * wo;
        var tmp = new double[P * Po];
        for (int a = 0; a < P; a++) Pool(src.Slice(a * P), 1, h, w, tmp.AsSpan(a * Po), 1, win, ho, wo, pt, pl);
        for (int b = 0; b < Po; b++) Pool(tmp.AsSpan(b), Po, h, w, dst.Slice(b), Po, win, ho, wo, pt, pl);
    }
}
