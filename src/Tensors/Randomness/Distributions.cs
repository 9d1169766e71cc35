using System.Numerics;
using System.Runtime.CompilerServices;

namespace NativeFree.Tensors.Randomness;

// How each distribution turns one Philox block (4 × 32 bits) into PerBlock values. Element i of a
// draw always comes from block (first + i / PerBlock), slot i % PerBlock: that fixed mapping is
// what makes fills independent of chunking and thread count.
internal interface IBlockMap<T>
{
    static abstract int PerBlock { get; }
    void Map(uint w0, uint w1, uint w2, uint w3, Span<T> dst);
}

internal static class Bits
{
    /// <summary>[0, 1) with 24 random bits (every float in that grid is exactly representable).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Float01(uint w) => (w >> 8) * (1f / (1 << 24));

    /// <summary>[0, 1) with 53 random bits from two words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Double01(uint hi, uint lo) => ((((ulong)hi << 32) | lo) >> 11) * (1.0 / (1UL << 53));

    /// <summary>(0, 1] with 53 random bits: safe under log().</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Double01Open(uint hi, uint lo) => (((((ulong)hi << 32) | lo) >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>lo + (hi-lo)·u, kept below hi when rounding would reach it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Affine<T>(T lo, T hi, T u) where T : IFloatingPointIeee754<T>
    {
        T v = lo + (hi - lo) * u;
        return v >= hi && hi > lo ? T.BitDecrement(hi) : v;
    }
}

/// <summary>Uniform float32: 4 values per block, 24 bits each.</summary>
internal readonly struct UniformFloatMap<T>(T lo, T hi) : IBlockMap<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int PerBlock => 4;
    public void Map(uint w0, uint w1, uint w2, uint w3, Span<T> dst)
    {
        dst[0] = Bits.Affine(lo, hi, T.CreateTruncating(Bits.Float01(w0)));
        dst[1] = Bits.Affine(lo, hi, T.CreateTruncating(Bits.Float01(w1)));
        dst[2] = Bits.Affine(lo, hi, T.CreateTruncating(Bits.Float01(w2)));
        dst[3] = Bits.Affine(lo, hi, T.CreateTruncating(Bits.Float01(w3)));
    }
}

/// <summary>Uniform float64: 2 values per block, 53 bits each.</summary>
internal readonly struct UniformDoubleMap<T>(T lo, T hi) : IBlockMap<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int PerBlock => 2;
    public void Map(uint w0, uint w1, uint w2, uint w3, Span<T> dst)
    {
        dst[0] = Bits.Affine(lo, hi, T.CreateTruncating(Bits.Double01(w0, w1)));
        dst[1] = Bits.Affine(lo, hi, T.CreateTruncating(Bits.Double01(w2, w3)));
    }
}

/// <summary>
/// Normal by Box–Muller: one block gives two 53-bit uniforms and hence two independent normals,
/// computed in double for both element types (float normals are the rounded double normals).
/// </summary>
internal readonly struct NormalMap<T>(double mean, double std) : IBlockMap<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int PerBlock => 2;
    public void Map(uint w0, uint w1, uint w2, uint w3, Span<T> dst)
    {
        double r = Math.Sqrt(-2.0 * Math.Log(Bits.Double01Open(w0, w1)));
        double theta = 2.0 * Math.PI * Bits.Double01(w2, w3);
        (double s, double c) = Math.SinCos(theta);
        dst[0] = T.CreateTruncating(mean + std * (r * c));
        dst[1] = T.CreateTruncating(mean + std * (r * s));
    }
}

/// <summary>Bernoulli(p): 4 values per block, 1 when the 32-bit word is below p·2³².</summary>
internal readonly struct BernoulliMap<T>(ulong threshold) : IBlockMap<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int PerBlock => 4;
    public void Map(uint w0, uint w1, uint w2, uint w3, Span<T> dst)
    {
        dst[0] = w0 < threshold ? T.One : T.Zero;
        dst[1] = w1 < threshold ? T.One : T.Zero;
        dst[2] = w2 < threshold ? T.One : T.Zero;
        dst[3] = w3 < threshold ? T.One : T.Zero;
    }
}

/// <summary>Raw 32-bit words: 4 per block.</summary>
internal readonly struct WordMap : IBlockMap<uint>
{
    public static int PerBlock => 4;
    public void Map(uint w0, uint w1, uint w2, uint w3, Span<uint> dst)
    {
        dst[0] = w0; dst[1] = w1; dst[2] = w2; dst[3] = w3;
    }
}

internal static class CounterFill
{
    /// <summary>
    /// Writes elements <c>start … start+dst.Length-1</c> of the draw that begins at block
    /// <paramref name="firstBlock"/> of (key, stream). Any chunking of a draw gives the same values.
    /// </summary>
    public static void Fill<T, TMap>(TMap map, ulong key, ulong stream, ulong firstBlock, long start, Span<T> dst)
        where T : unmanaged where TMap : struct, IBlockMap<T>
    {
        int per = TMap.PerBlock;
        Span<T> tmp = stackalloc T[4];
        long i = start;
        int j = 0;
        while (j < dst.Length)
        {
            long blk = i / per;
            int slot = (int)(i - blk * per);
            Philox4x32.Block(key, stream, firstBlock + (ulong)blk, out uint w0, out uint w1, out uint w2, out uint w3);
            int take = Math.Min(per - slot, dst.Length - j);
            if (slot == 0 && take == per)
            {
                map.Map(w0, w1, w2, w3, dst.Slice(j, per)); // whole block straight into place
            }
            else
            {
                map.Map(w0, w1, w2, w3, tmp);
                tmp.Slice(slot, take).CopyTo(dst.Slice(j));
            }
            j += take;
            i += take;
        }
    }

    /// <summary>Blocks a draw of <paramref name="count"/> elements consumes.</summary>
    public static ulong BlocksFor<TMap, T>(long count) where TMap : struct, IBlockMap<T> where T : unmanaged
        => (ulong)((count + TMap.PerBlock - 1) / TMap.PerBlock);

    /// <summary>Elements per parallel chunk: big enough that scheduling costs nothing, small enough to balance.</summary>
    public const int ChunkElements = 1 << 15;

    /// <summary>Fills an array in parallel chunks (same values as a sequential fill).</summary>
    public static void FillParallel<T, TMap>(TMap map, ulong key, ulong stream, ulong firstBlock, T[] dst)
        where T : unmanaged where TMap : struct, IBlockMap<T>
    {
        int chunks = (dst.Length + ChunkElements - 1) / ChunkElements;
        int threads = Parallelism.Resolve(null);
        if (chunks <= 1 || threads <= 1)
        {
            Fill<T, TMap>(map, key, stream, firstBlock, 0, dst);
            return;
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, c =>
        {
            int s = c * ChunkElements;
            int len = Math.Min(ChunkElements, dst.Length - s);
            Fill<T, TMap>(map, key, stream, firstBlock, s, dst.AsSpan(s, len));
        });
    }
}
