using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Tensors.Tests.Randomness;

public class PhiloxTests
{
    // Known-answer vectors for Philox4x32-10 from Random123's examples/kat_vectors
    // (D. E. Shaw Research, github.com/DEShawResearch/random123), the "philox4x32 10" lines.
    // Columns: counter (4 words), key (2 words), expected output (4 words).
    [Theory]
    [InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void MatchesRandom123KnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3)
    {
        Philox4x32.Block(c0, c1, c2, c3, k0, k1, out uint r0, out uint r1, out uint r2, out uint r3);
        Assert.Equal(new[] { e0, e1, e2, e3 }, new[] { r0, r1, r2, r3 });
    }

    [Fact]
    public void SixtyFourBitOverloadPacksCounterAndKeyLowWordFirst()
    {
        Philox4x32.Block(0x299f31d0a4093822UL, 0x0370734413198a2eUL, 0x85a308d3243f6a88UL, out uint r0, out uint r1, out uint r2, out uint r3);
        Assert.Equal(new[] { 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u }, new[] { r0, r1, r2, r3 });
    }
}

public class RngTests
{
    [Fact]
    public void RawWordsAreThePhiloxBlocksInCounterOrder()
    {
        var rng = new Rng(seed: 42, stream: 7);
        var w = new uint[10];
        rng.FillUInt32(w);
        for (int i = 0; i < w.Length; i++)
        {
            Philox4x32.Block(42, 7, (ulong)(i / 4), out uint a, out uint b, out uint c, out uint d);
            Assert.Equal(new[] { a, b, c, d }[i % 4], w[i]);
        }
        Assert.Equal(3UL, rng.Position); // 10 words round up to 3 blocks
    }

    [Fact]
    public void NormalLayoutIsBoxMullerOnOneBlockPerPair()
    {
        var z = new Rng(5).Normal<double>(0.0, 1.0, 4).ToArray();
        for (int pair = 0; pair < 2; pair++)
        {
            Philox4x32.Block(5, 0, (ulong)pair, out uint a, out uint b, out uint c, out uint d);
            double u1 = (((((ulong)a << 32) | b) >> 11) + 1) / 9007199254740992.0;
            double u2 = ((((ulong)c << 32) | d) >> 11) / 9007199254740992.0;
            double r = Math.Sqrt(-2 * Math.Log(u1));
            Assert.Equal(r * Math.Cos(2 * Math.PI * u2), z[2 * pair], 14);
            Assert.Equal(r * Math.Sin(2 * Math.PI * u2), z[2 * pair + 1], 14);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(32768)]
    public void ChunkedFillsEqualOneSequentialFill(int chunk)
    {
        const int n = 70001; // more than two parallel chunks, not a multiple of any block size
        var whole = new Rng(123).Uniform<float>(0f, 1f, n).ToArray();
        var chunked = new float[n];
        for (int s = 0; s < n; s += chunk)
        {
            int len = Math.Min(chunk, n - s);
            CounterFill.Fill<float, UniformFloatMap<float>>(new UniformFloatMap<float>(0f, 1f), 123, 0, 0, s, chunked.AsSpan(s, len));
        }
        Assert.Equal(whole, chunked);
        // Reverse order of chunks gives the same too: nothing depends on what ran before.
        var reversed = new double[n];
        for (int s = (n - 1) / chunk * chunk; s >= 0; s -= chunk)
            CounterFill.Fill<double, NormalMap<double>>(new NormalMap<double>(0, 1), 9, 1, 0, s, reversed.AsSpan(s, Math.Min(chunk, n - s)));
        Assert.Equal(new Rng(9, 1).Normal<double>(0.0, 1.0, n).ToArray(), reversed);
    }

    [Fact]
    public void SpanFillsMatchTensorDrawsAndAdvanceThePosition()
    {
        var a = new Rng(77);
        var b = new Rng(77);
        var t1 = a.Uniform(-2.0, 3.0, 5, 7);
        var t2 = a.Normal(1f, 2f, 9);
        var t3 = a.Bernoulli<float>(0.3, 11);
        var s1 = new double[35]; b.FillUniform(s1, -2.0, 3.0);
        var s2 = new float[9]; b.FillNormal(s2, 1f, 2f);
        var s3 = new float[11]; b.FillBernoulli(s3, 0.3);
        Assert.Equal(t1.ToArray(), s1);
        Assert.Equal(t2.ToArray(), s2);
        Assert.Equal(t3.ToArray(), s3);
        Assert.Equal(a.Position, b.Position);
        Assert.NotEqual(t1.ToArray(), a.Uniform(-2.0, 3.0, 5, 7).ToArray()); // the next draw differs
    }

    [Fact]
    public void SameSeedSameValuesDifferentSeedOrStreamDifferentValues()
    {
        Assert.Equal(new Rng(1).StandardNormal<float>(100).ToArray(), new Rng(1).StandardNormal<float>(100).ToArray());
        Assert.NotEqual(new Rng(1).StandardNormal<float>(100).ToArray(), new Rng(2).StandardNormal<float>(100).ToArray());
        Assert.NotEqual(new Rng(1, 0).StandardNormal<float>(100).ToArray(), new Rng(1, 1).StandardNormal<float>(100).ToArray());
    }

    [Fact]
    public void IntegerMeanAndStdAreNotMistakenForAShape()
    {
        // Normal<double>(0, 1, 5) must mean N(0, 1) of shape [5], not a [0, 1, 5] tensor.
        var t = new Rng(1).Normal<double>(0, 1, 5);
        Assert.Equal(new[] { 5 }, t.ShapeArray);
        Assert.Equal(new Rng(1).StandardNormal<double>(5).ToArray(), t.ToArray());
    }

    [Fact]
    public void FloatNormalsAreRoundedDoubleNormals()
    {
        var d = new Rng(3).Normal<double>(0.5, 2.0, 1001).ToArray();
        var f = new Rng(3).Normal<float>(0.5f, 2.0f, 1001).ToArray();
        for (int i = 0; i < d.Length; i++) Assert.Equal((float)d[i], f[i]);
    }

    [Fact]
    public void ForksAreReproducibleAndDistinct()
    {
        var p1 = new Rng(11); var p2 = new Rng(11);
        var kids1 = p1.Split(4); var kids2 = p2.Split(4);
        var draws = kids1.Select(k => k.Uniform(0.0, 1.0, 64).ToArray()).ToList();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(draws[i], kids2[i].Uniform(0.0, 1.0, 64).ToArray());
            for (int j = 0; j < i; j++) Assert.NotEqual(draws[i], draws[j]);
        }
        Assert.NotEqual(draws[0], new Rng(11).Uniform(0.0, 1.0, 64).ToArray());
    }

    [Fact]
    public void UniformsStayInsideTheInterval()
    {
        var f = new Rng(8).Uniform(-1f, 1f, 100000).ToArray();
        Assert.All(f, x => Assert.InRange(x, -1f, 1f - 1e-7f));
        var d = new Rng(8).Uniform(2.0, 2.5, 100000).ToArray();
        Assert.All(d, x => Assert.True(x >= 2.0 && x < 2.5));
        Assert.All(new Rng(8).Uniform(3.0, 3.0, 10).ToArray(), x => Assert.Equal(3.0, x));
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var r = new Rng(0);
        Assert.Throws<ArgumentException>(() => r.Uniform(1.0, 0.0, 3));
        Assert.Throws<ArgumentException>(() => r.Uniform(0.0, double.PositiveInfinity, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Normal(0.0, -1.0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Bernoulli<float>(1.5, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Bernoulli<float>(double.NaN, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Permutation(-1));
        Assert.Throws<ArgumentException>(() => r.Uniform(0f, 1f, 2, -3));
    }

    [Fact]
    public void BernoulliEdgesAreExact()
    {
        Assert.All(new Rng(4).Bernoulli<double>(0.0, 1000).ToArray(), x => Assert.Equal(0.0, x));
        Assert.All(new Rng(4).Bernoulli<double>(1.0, 1000).ToArray(), x => Assert.Equal(1.0, x));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1000)]
    public void PermutationIsAPermutation(int n)
    {
        var p = new Rng(21).Permutation(n);
        Assert.Equal(Enumerable.Range(0, n), p.OrderBy(x => x));
    }
}

public class RngStatisticsTests
{
    // Fixed seeds make these deterministic; thresholds are at significance ~1e-3 or tighter, so a
    // correct generator passes and a biased one (wrong scale, shift, lost bits) fails.

    [Fact]
    public void UniformDoublesPassKolmogorovSmirnov()
    {
        const int n = 20000;
        var x = new Rng(2024).Uniform(0.0, 1.0, n).ToArray();
        Array.Sort(x);
        double d = 0;
        for (int i = 0; i < n; i++) d = Math.Max(d, Math.Max((i + 1.0) / n - x[i], x[i] - (double)i / n));
        Assert.True(d < 1.95 / Math.Sqrt(n), $"KS statistic {d} exceeds the 0.1% critical value {1.95 / Math.Sqrt(n)}");
    }

    [Fact]
    public void UniformFloatsPassKolmogorovSmirnovOnAnInterval()
    {
        const int n = 20000;
        var x = new Rng(99).Uniform(-3f, 5f, n).ToArray().Select(v => (v + 3.0) / 8.0).ToArray();
        Array.Sort(x);
        double d = 0;
        for (int i = 0; i < n; i++) d = Math.Max(d, Math.Max((i + 1.0) / n - x[i], x[i] - (double)i / n));
        Assert.True(d < 1.95 / Math.Sqrt(n), $"KS statistic {d}");
    }

    [Fact]
    public void NormalMomentsWithinFewStandardErrors()
    {
        const int n = 200000;
        var x = new Rng(31337).Normal(2.0, 3.0, n).ToArray();
        double mean = x.Average();
        double var = x.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        double kurt = x.Sum(v => Math.Pow((v - mean) / 3.0, 4)) / n;
        Assert.InRange(mean, 2.0 - 4 * 3.0 / Math.Sqrt(n), 2.0 + 4 * 3.0 / Math.Sqrt(n));
        Assert.InRange(var, 9.0 * (1 - 4 * Math.Sqrt(2.0 / n)), 9.0 * (1 + 4 * Math.Sqrt(2.0 / n)));
        Assert.InRange(kurt, 3.0 - 4 * Math.Sqrt(96.0 / n), 3.0 + 4 * Math.Sqrt(96.0 / n)); // Var(z⁴) = 96
        // Sine and cosine halves are uncorrelated.
        double cov = 0;
        for (int i = 0; i < n; i += 2) cov += (x[i] - 2) * (x[i + 1] - 2);
        cov /= n / 2 * 9.0;
        Assert.InRange(cov, -4 / Math.Sqrt(n / 2), 4 / Math.Sqrt(n / 2));
    }

    [Fact]
    public void NormalTailFrequencyMatchesTheCdf()
    {
        const int n = 200000;
        var x = new Rng(5).StandardNormal<float>(n).ToArray();
        double p = 0.15865525393145707; // P(Z > 1)
        double frac = x.Count(v => v > 1f) / (double)n;
        double se = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(frac, p - 4 * se, p + 4 * se);
    }

    [Fact]
    public void BernoulliMeanWithinFewStandardErrors()
    {
        const int n = 100000;
        double p = 0.37;
        double mean = new Rng(6).Bernoulli<double>(p, n).ToArray().Average();
        double se = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(mean, p - 4 * se, p + 4 * se);
    }

    [Fact]
    public void PermutationsAreUniform()
    {
        // All 120 orders of 5 items, and the first position's value, by chi-square.
        var rng = new Rng(8080);
        const int trials = 24000;
        var orders = new Dictionary<int, int>();
        var first = new int[5];
        for (int t = 0; t < trials; t++)
        {
            var p = rng.Permutation(5);
            int code = p.Aggregate(0, (acc, v) => acc * 5 + v);
            orders[code] = orders.GetValueOrDefault(code) + 1;
            first[p[0]]++;
        }
        Assert.Equal(120, orders.Count);
        double chiOrders = orders.Values.Sum(c => (c - 200.0) * (c - 200.0) / 200.0);
        Assert.True(chiOrders < 173.6, $"chi-square over 120 orders = {chiOrders} (df 119, 0.1% critical 173.6)");
        double chiFirst = first.Sum(c => (c - 4800.0) * (c - 4800.0) / 4800.0);
        Assert.True(chiFirst < 18.47, $"chi-square of first position = {chiFirst} (df 4, 0.1% critical 18.47)");
    }

    [Fact]
    public void BoundedIntegersHaveNoModuloBias()
    {
        // A range close to 2³²·(2/3) makes naive modulo reduction visibly non-uniform.
        var rng = new Rng(12);
        int bound = 3;
        var counts = new int[bound];
        for (int i = 0; i < 30000; i++) counts[rng.NextInt(bound)]++;
        double chi = counts.Sum(c => (c - 10000.0) * (c - 10000.0) / 10000.0);
        Assert.True(chi < 13.8, $"chi-square {chi} (df 2)");
    }
}
