using System.Numerics;

namespace NativeFree.Tensors.Randomness;

/// <summary>
/// A seeded random generator over Philox4x32-10. A generator is a key (the seed), a stream id and a
/// position (the next unused 128-bit block). Every draw takes the next run of blocks, and element
/// <c>i</c> of a draw depends only on (seed, stream, position, i): results are the same on any
/// thread count and for any chunking. Not thread-safe: give each thread its own <see cref="Fork"/>.
/// </summary>
/// <remarks>
/// Layout of a draw (fixed, so it can be reproduced elsewhere): float uniforms and Bernoulli take
/// 4 elements per block (one 32-bit word each); double uniforms take 2 (53 bits from two words);
/// normals take 2 per block (Box–Muller on two 53-bit uniforms, cosine then sine).
/// </remarks>
public sealed class Rng
{
    private readonly ulong _seed;
    private readonly ulong _stream;
    private ulong _position;

    /// <summary>A generator for <paramref name="seed"/> on stream <paramref name="stream"/>, at position 0.</summary>
    public Rng(ulong seed, ulong stream = 0)
    {
        _seed = seed;
        _stream = stream;
    }

    /// <summary>The key.</summary>
    public ulong Seed => _seed;

    /// <summary>The stream id (upper half of the Philox counter).</summary>
    public ulong Stream => _stream;

    /// <summary>Index of the next unused block; each draw advances it by the blocks it used.</summary>
    public ulong Position
    {
        get => _position;
        set => _position = value;
    }

    private ulong Take(ulong blocks)
    {
        ulong first = _position;
        _position += blocks;
        return first;
    }

    // ----------------------------------------------------------------- streams

    /// <summary>
    /// A new, statistically independent generator. Its seed and stream are one block of this
    /// generator's output (as in JAX/threefry key splitting), so forks are reproducible too.
    /// </summary>
    public Rng Fork()
    {
        Philox4x32.Block(_seed, _stream, Take(1), out uint w0, out uint w1, out uint w2, out uint w3);
        return new Rng(((ulong)w1 << 32) | w0, ((ulong)w3 << 32) | w2);
    }

    /// <summary><paramref name="count"/> independent generators (successive <see cref="Fork"/>s).</summary>
    public Rng[] Split(int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Split count must be non-negative.");
        var result = new Rng[count];
        for (int i = 0; i < count; i++) result[i] = Fork();
        return result;
    }

    // ----------------------------------------------------------------- tensors

    /// <summary>Uniform on [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public Tensor<T> Uniform<T>(T low, T high, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckRange(low, high);
        var data = new T[ShapeUtil.ElementCount(shape)];
        if (typeof(T) == typeof(float))
        {
            var map = new UniformFloatMap<T>(low, high);
            CounterFill.FillParallel<T, UniformFloatMap<T>>(map, _seed, _stream, Take(CounterFill.BlocksFor<UniformFloatMap<T>, T>(data.Length)), data);
        }
        else
        {
            var map = new UniformDoubleMap<T>(low, high);
            CounterFill.FillParallel<T, UniformDoubleMap<T>>(map, _seed, _stream, Take(CounterFill.BlocksFor<UniformDoubleMap<T>, T>(data.Length)), data);
        }
        return Tensor.FromArray(data, (int[])shape.Clone());
    }

    /// <summary>Normal with the given mean and standard deviation (Box–Muller).</summary>
    public Tensor<T> Normal<T>(T mean, T std, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckStd(std);
        var data = new T[ShapeUtil.ElementCount(shape)];
        var map = new NormalMap<T>(double.CreateTruncating(mean), double.CreateTruncating(std));
        CounterFill.FillParallel<T, NormalMap<T>>(map, _seed, _stream, Take(CounterFill.BlocksFor<NormalMap<T>, T>(data.Length)), data);
        return Tensor.FromArray(data, (int[])shape.Clone());
    }

    /// <summary>
    /// Standard normal, N(0, 1). (Not an overload of Normal: <c>Normal&lt;double&gt;(0, 1, 5)</c> would
    /// bind int arguments to a shape-only overload and silently return an empty [0, 1, 5] tensor.)
    /// </summary>
    public Tensor<T> StandardNormal<T>(params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
        => Normal(T.Zero, T.One, shape);

    /// <summary>1 with probability <paramref name="p"/>, else 0.</summary>
    public Tensor<T> Bernoulli<T>(double p, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = new T[ShapeUtil.ElementCount(shape)];
        var map = new BernoulliMap<T>(Threshold(p));
        CounterFill.FillParallel<T, BernoulliMap<T>>(map, _seed, _stream, Take(CounterFill.BlocksFor<BernoulliMap<T>, T>(data.Length)), data);
        return Tensor.FromArray(data, (int[])shape.Clone());
    }

    // ----------------------------------------------------------------- spans

    /// <summary>Fills <paramref name="destination"/> with uniforms on [low, high) (same values as <see cref="Uniform{T}"/>).</summary>
    public void FillUniform<T>(Span<T> destination, T low, T high) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckRange(low, high);
        if (typeof(T) == typeof(float))
        {
            var map = new UniformFloatMap<T>(low, high);
            CounterFill.Fill<T, UniformFloatMap<T>>(map, _seed, _stream, Take(CounterFill.BlocksFor<UniformFloatMap<T>, T>(destination.Length)), 0, destination);
        }
        else
        {
            var map = new UniformDoubleMap<T>(low, high);
            CounterFill.Fill<T, UniformDoubleMap<T>>(map, _seed, _stream, Take(CounterFill.BlocksFor<UniformDoubleMap<T>, T>(destination.Length)), 0, destination);
        }
    }

    /// <summary>Fills <paramref name="destination"/> with normals (same values as <see cref="Normal{T}(T,T,int[])"/>).</summary>
    public void FillNormal<T>(Span<T> destination, T mean, T std) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckStd(std);
        var map = new NormalMap<T>(double.CreateTruncating(mean), double.CreateTruncating(std));
        CounterFill.Fill<T, NormalMap<T>>(map, _seed, _stream, Take(CounterFill.BlocksFor<NormalMap<T>, T>(destination.Length)), 0, destination);
    }

    /// <summary>Fills <paramref name="destination"/> with Bernoulli(p) zeros and ones.</summary>
    public void FillBernoulli<T>(Span<T> destination, double p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var map = new BernoulliMap<T>(Threshold(p));
        CounterFill.Fill<T, BernoulliMap<T>>(map, _seed, _stream, Take(CounterFill.BlocksFor<BernoulliMap<T>, T>(destination.Length)), 0, destination);
    }

    /// <summary>Fills <paramref name="destination"/> with raw 32-bit words (4 per block).</summary>
    public void FillUInt32(Span<uint> destination)
        => CounterFill.Fill<uint, WordMap>(default, _seed, _stream, Take(CounterFill.BlocksFor<WordMap, uint>(destination.Length)), 0, destination);

    // ----------------------------------------------------------------- integers

    /// <summary>A uniformly random permutation of 0 … n-1 (Fisher–Yates with unbiased bounded integers).</summary>
    public int[] Permutation(int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "Permutation size must be non-negative.");
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle<int>(p);
        return p;
    }

    /// <summary>Shuffles <paramref name="items"/> in place, uniformly over all orders.</summary>
    public void Shuffle<TItem>(Span<TItem> items)
    {
        var words = new WordReader(this);
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)words.Below((uint)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
        words.Commit();
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) without modulo bias.</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "Bound must be positive.");
        var words = new WordReader(this);
        int r = (int)words.Below((uint)bound);
        words.Commit();
        return r;
    }

    /// <summary>A uniform double in [0, 1) (uses one block).</summary>
    public double NextDouble()
    {
        Philox4x32.Block(_seed, _stream, Take(1), out uint w0, out uint w1, out _, out _);
        return Bits.Double01(w0, w1);
    }

    /// <summary>Sequential 32-bit words from the generator's next blocks, for variable-length algorithms.</summary>
    private struct WordReader(Rng rng)
    {
        private ulong _block = rng._position;
        private uint _w0, _w1, _w2, _w3;
        private int _slot = 4;

        private uint Next()
        {
            if (_slot == 4)
            {
                Philox4x32.Block(rng._seed, rng._stream, _block++, out _w0, out _w1, out _w2, out _w3);
                _slot = 0;
            }
            return _slot++ switch { 0 => _w0, 1 => _w1, 2 => _w2, _ => _w3 };
        }

        // Lemire's multiply-shift with rejection: exact uniformity, rarely more than one word.
        public uint Below(uint range)
        {
            ulong m = (ulong)Next() * range;
            uint low = (uint)m;
            if (low < range)
            {
                uint threshold = (0u - range) % range;
                while (low < threshold)
                {
                    m = (ulong)Next() * range;
                    low = (uint)m;
                }
            }
            return (uint)(m >> 32);
        }

        public readonly void Commit() => rng._position = _block;
    }

    // ----------------------------------------------------------------- checks

    private static ulong Threshold(double p)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Bernoulli probability must be in [0, 1].");
        return p == 1 ? 1UL << 32 : (ulong)(p * 4294967296.0);
    }

    private static void CheckRange<T>(T low, T high) where T : IFloatingPointIeee754<T>
    {
        if (!T.IsFinite(low) || !T.IsFinite(high) || high < low)
            throw new ArgumentException($"Uniform needs finite low ≤ high; got low={low}, high={high}.");
    }

    private static void CheckStd<T>(T std) where T : IFloatingPointIeee754<T>
    {
        if (!T.IsFinite(std) || std < T.Zero)
            throw new ArgumentOutOfRangeException(nameof(std), std, "Standard deviation must be finite and non-negative.");
    }
}
