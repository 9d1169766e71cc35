using System.Text;
using NativeFree.Tensors.IO;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Tensors.Tests.IO;

public class SafetensorsTests
{
    [Fact]
    public void PythonWrittenFixtureReadsBackExactly()
    {
        // Fixtures/mixed.safetensors from make_npy_fixtures.py; values are its closed forms.
        var f = Safetensors.Load(Fixture.Path("mixed.safetensors"));
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal(new[] { "weight", "bias", "half", "bf16", "ints", "longs", "scalar" }, f.Entries.Select(e => e.Name));

        Assert.Equal(SafetensorsDtype.F32, f["weight"].Dtype);
        Assert.Equal(new[] { 2, 3 }, f["weight"].Shape);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => 0.25f * i), f["weight"].ToTensor<float>().ToArray());
        Assert.Equal(new[] { -1.0, 0.0, 1.0 }, f["bias"].ToTensor<double>().ToArray());
        Assert.Equal(SafetensorsDtype.F16, f["half"].Dtype);
        Assert.Equal(new[] { 1.0f, 1.5f, 2.0f, 2.5f }, f["half"].ToTensor<float>().ToArray());
        Assert.Equal(SafetensorsDtype.BF16, f["bf16"].Dtype);
        Assert.Equal(new[] { 1.0, -2.0, 0.375, 256.0 }, f["bf16"].ToTensor<double>().ToArray());
        Assert.Equal(new[] { 2, 2 }, f["bf16"].ToTensor<double>().ShapeArray);
        Assert.Equal(SafetensorsDtype.I32, f["ints"].Dtype);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => 3.0 * i - 7), f["ints"].ToTensor<double>().ToArray());
        Assert.Equal(SafetensorsDtype.I64, f["longs"].Dtype);
        Assert.Equal(new[] { -Math.Pow(2, 40), Math.Pow(2, 40) + 1 }, f["longs"].ToTensor<double>().ToArray());
        var s = f["scalar"].ToTensor<float>();
        Assert.Equal(0, s.Rank);
        Assert.Equal(7.5f, s.ToScalar());
        Assert.Throws<KeyNotFoundException>(() => f["nope"]);
    }

    [Fact]
    public void FloatAndDoubleDictionariesRoundTrip()
    {
        var rng = new Rng(17);
        var floats = new Dictionary<string, Tensor<float>>
        {
            ["layer.0.weight"] = rng.StandardNormal<float>(4, 3),
            ["layer.0.bias"] = rng.StandardNormal<float>(3),
            ["empty"] = Tensor.Zeros<float>(0, 5),
            ["scalar"] = Tensor.Scalar(2.5f),
        };
        var path = Path.Combine(Path.GetTempPath(), $"nf-st-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Save(path, floats, new Dictionary<string, string> { ["format"] = "pt", ["ünïcode"] = "ok ✓" });
            var back = Safetensors.Load(path);
            Assert.Equal("ok ✓", back.Metadata["ünïcode"]);
            foreach (var (name, t) in floats)
            {
                Assert.Equal(SafetensorsDtype.F32, back[name].Dtype);
                Assert.Equal(t.ShapeArray, back[name].Shape);
                Assert.Equal(t.ToArray(), back[name].ToTensor<float>().ToArray());
            }
            var doubles = new Dictionary<string, Tensor<double>> { ["k"] = rng.StandardNormal<double>(5, 5).Transpose(0, 1) };
            Safetensors.Save(path, doubles);
            var d = Safetensors.Load(path);
            Assert.Empty(d.Metadata);
            Assert.Equal(doubles["k"].ToArray(), d["k"].ToTensor<double>().ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MixedEntriesRoundTripAndDataIsAligned()
    {
        var ms = new MemoryStream();
        Safetensors.Save(ms, [SafetensorsEntry.From("b", Tensor.Arange<double>(3)), SafetensorsEntry.From("a", Tensor.Arange<float>(5))]);
        var bytes = ms.ToArray();
        long n = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        Assert.Equal(8 + n + 5 * 4 + 3 * 8, bytes.Length);
        ms.Position = 0;
        var f = Safetensors.Load(ms);
        Assert.Equal(new[] { "a", "b" }, f.Entries.Select(e => e.Name)); // laid out by name
        Assert.Equal(new double[] { 0, 1, 2 }, f["b"].ToTensor<double>().ToArray());
        Assert.Equal(new double[] { 0, 1, 2, 3, 4 }, f["a"].ToTensor<double>().ToArray());
        var ns = Safetensors.Load(new NonSeekableStream(new MemoryStream(bytes)));
        Assert.Equal(new float[] { 0, 1, 2 }, ns["b"].ToTensor<float>().ToArray());
    }

    [Fact]
    public void SaveRejectsDuplicateAndReservedNames()
    {
        Assert.Throws<ArgumentException>(() => Safetensors.Save(new MemoryStream(), [SafetensorsEntry.From("x", Tensor.Zeros<float>(1)), SafetensorsEntry.From("x", Tensor.Zeros<float>(1))]));
        Assert.Throws<ArgumentException>(() => Safetensors.Save(new MemoryStream(), [SafetensorsEntry.From("__metadata__", Tensor.Zeros<float>(1))]));
    }
}

public class SafetensorsMalformedTests
{
    private static byte[] Build(string json, int dataBytes, long? declaredLength = null)
    {
        var h = Encoding.UTF8.GetBytes(json);
        var ms = new MemoryStream();
        ms.Write(BitConverter.GetBytes(declaredLength ?? h.Length));
        ms.Write(h);
        ms.Write(new byte[dataBytes]);
        return ms.ToArray();
    }

    private static void Fails(byte[] bytes, string mustContain, bool alsoWithoutLength = true)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Load(new MemoryStream(bytes)));
        Assert.Contains("byte", ex.Message);
        Assert.Contains(mustContain, ex.Message);
        if (alsoWithoutLength)
            Assert.Throws<InvalidDataException>(() => Safetensors.Load(new NonSeekableStream(new MemoryStream(bytes))));
    }

    private const string One = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    [Fact]
    public void WellFormedBaselineLoads() => Assert.Equal(new float[2], Safetensors.Load(new MemoryStream(Build(One, 8)))["a"].ToTensor<float>().ToArray());

    [Fact]
    public void AbsurdOrTruncatedHeaderLength()
    {
        Fails(Build(One, 8, declaredLength: long.MaxValue), "Absurd");
        Fails(Build(One, 8, declaredLength: 50_000_000), "header length");
        Fails([1, 2, 3], "byte 0");
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", "JSON")]
    [InlineData("[1,2]", "object")]
    [InlineData("{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", "dtype")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "shape")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", "shape")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", "begin, end")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", "needs dtype")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "span")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "reversed")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", "duplicate")]
    [InlineData("{\"__metadata__\":{\"k\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "string")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", "overflows")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", "after")]
    public void BadHeaders(string json, string message) => Fails(Build(json, 8), message);

    [Fact]
    public void OffsetsOverlappingGappedOrOutOfRange()
    {
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
        Fails(Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "gap");
        Fails(Build(One, 4), "Truncated");
        // Trailing bytes can only be seen when the stream's length is known.
        Fails(Build(One, 12), "after the last tensor", alsoWithoutLength: false);
        Fails(Build("{\"a\":{\"dtype\":\"F64\",\"shape\":[1000000,1000000],\"data_offsets\":[0,8000000000000]}}", 8), "Truncated");
    }
}
