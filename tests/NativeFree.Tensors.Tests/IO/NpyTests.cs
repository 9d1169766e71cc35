using System.Text;
using FsCheck.Xunit;
using NativeFree.Tensors.IO;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Tensors.Tests.IO;

public class NpyFixtureTests
{
    // Fixtures come from Fixtures/make_npy_fixtures.py (NumPy 1.24); the expected values below are
    // that script's closed forms evaluated independently here, indexed in C order.
    private static double[] Expect(int n, Func<int, double> f) => Enumerable.Range(0, n).Select(f).ToArray();

    [Theory]
    [InlineData("f4_2x3.npy", new[] { 2, 3 }, "i")]
    [InlineData("f8_2x3x4.npy", new[] { 2, 3, 4 }, "0.5i-3")]
    [InlineData("i4_3x4.npy", new[] { 3, 4 }, "i-5")]
    [InlineData("i8_10.npy", new[] { 10 }, "1000000007i-5")]
    [InlineData("f4_fortran_3x4.npy", new[] { 3, 4 }, "i")]
    [InlineData("f8_fortran_2x3x4.npy", new[] { 2, 3, 4 }, "i/8")]
    [InlineData("i8_fortran_2x5.npy", new[] { 2, 5 }, "i-4")]
    [InlineData("f8_be_5.npy", new[] { 5 }, "i/4")]
    [InlineData("f4_be_2x2.npy", new[] { 2, 2 }, "i-1.5")]
    [InlineData("i4_be_6.npy", new[] { 6 }, "i-3")]
    [InlineData("i8_be_3.npy", new[] { 3 }, "i-2^40")]
    [InlineData("f4_v2_4.npy", new[] { 4 }, "i+1")]
    [InlineData("f8_v3_2x2.npy", new[] { 2, 2 }, "-i")]
    [InlineData("f4_empty_0x3.npy", new[] { 0, 3 }, "i")]
    public void NumPyFilesReadBackExactly(string file, int[] shape, string formula)
    {
        Func<int, double> f = formula switch
        {
            "i" => i => i,
            "0.5i-3" => i => 0.5 * i - 3,
            "i-5" => i => i - 5,
            "1000000007i-5" => i => 1000000007.0 * i - 5,
            "i/8" => i => i / 8.0,
            "i-4" => i => i - 4,
            "i/4" => i => i / 4.0,
            "i-1.5" => i => i - 1.5,
            "i-3" => i => i - 3,
            "i-2^40" => i => i - Math.Pow(2, 40),
            "i+1" => i => i + 1,
            "-i" => i => -i,
            _ => throw new ArgumentException(formula),
        };
        int n = shape.Aggregate(1, (a, b) => a * b);
        var d = Npy.Read<double>(Fixture.Path(file));
        Assert.Equal(shape, d.ShapeArray);
        Assert.Equal(Expect(n, f), d.ToArray());
        var s = Npy.Read<float>(Fixture.Path(file));
        Assert.Equal(shape, s.ShapeArray);
        Assert.Equal(Expect(n, f).Select(v => (float)v).ToArray(), s.ToArray());
    }

    [Fact]
    public void ZeroDimensionalArrayReadsAsScalar()
    {
        var t = Npy.Read<double>(Fixture.Path("f8_scalar.npy"));
        Assert.Equal(0, t.Rank);
        Assert.Equal(3.25, t.ToScalar());
    }

    [Fact]
    public void HeadersReportWhatTheFileDeclares()
    {
        var h = Npy.ReadHeader(Fixture.Path("f8_fortran_2x3x4.npy"));
        Assert.True(h.FortranOrder);
        Assert.Equal(NpyDtype.Float64, h.Dtype);
        Assert.Equal(new[] { 2, 3, 4 }, h.Shape);
        Assert.Equal(0, h.DataOffset % 64); // NumPy aligns data to 64 bytes
        var be = Npy.ReadHeader(Fixture.Path("i4_be_6.npy"));
        Assert.True(be.BigEndian);
        Assert.Equal(">i4", be.Descr);
        Assert.Equal((2, 0), (Npy.ReadHeader(Fixture.Path("f4_v2_4.npy")).Major, 0));
        Assert.Equal(3, Npy.ReadHeader(Fixture.Path("f8_v3_2x2.npy")).Major);
    }

    [Theory]
    [InlineData("f4_2x3.npy")]
    [InlineData("f8_2x3x4.npy")]
    [InlineData("f8_scalar.npy")]
    [InlineData("f4_empty_0x3.npy")]
    public void OurWriterIsByteIdenticalToNumPy(string file)
    {
        var expected = File.ReadAllBytes(Fixture.Path(file));
        var ms = new MemoryStream();
        if (file.StartsWith("f4")) Npy.Write(ms, Npy.Read<float>(Fixture.Path(file)));
        else Npy.Write(ms, Npy.Read<double>(Fixture.Path(file)));
        Assert.Equal(expected, ms.ToArray());
    }

    [Fact]
    public void SeveralArraysInOneStreamReadInTurn()
    {
        var ms = new MemoryStream();
        Npy.Write(ms, Tensor.Arange<float>(5));
        Npy.Write(ms, Tensor.Full(2.5, 2, 2));
        ms.Position = 0;
        Assert.Equal(new float[] { 0, 1, 2, 3, 4 }, Npy.Read<float>(ms).ToArray());
        Assert.Equal(new[] { 2.5, 2.5, 2.5, 2.5 }, Npy.Read<double>(ms).ToArray());
        Assert.Equal(ms.Length, ms.Position);
    }

    [Fact]
    public void NonSeekableStreamsReadTheSame()
    {
        var bytes = File.ReadAllBytes(Fixture.Path("f8_fortran_2x3x4.npy"));
        var t = Npy.Read<double>(new NonSeekableStream(new MemoryStream(bytes)));
        Assert.Equal(Expect(24, i => i / 8.0), t.ToArray());
    }
}

public class NpyRoundTripTests
{
    private static int[] RandomShape(Rng rng)
    {
        int rank = rng.NextInt(5);
        return Enumerable.Range(0, rank).Select(_ => rng.NextInt(5)).ToArray();
    }

    [Property(MaxTest = 60)]
    public void DoubleRoundTripsThroughAStream(int seed)
    {
        var rng = new Rng((ulong)seed);
        var shape = RandomShape(rng);
        var t = rng.StandardNormal<double>(shape);
        if (t.Length > 0) t.AsSpan()[0] = double.NaN; // NaN and infinities survive too
        if (t.Length > 1) t.AsSpan()[1] = double.NegativeInfinity;
        var ms = new MemoryStream();
        Npy.Write(ms, t);
        ms.Position = 0;
        var back = Npy.Read<double>(ms);
        Assert.Equal(shape, back.ShapeArray);
        Assert.Equal(t.ToArray(), back.ToArray());
    }

    [Property(MaxTest = 60)]
    public void FloatViewsRoundTripThroughAFile(int seed)
    {
        var rng = new Rng((ulong)seed);
        var t = rng.Uniform(-5f, 5f, 4, 6).Transpose(0, 1).Slice(0, 0, 6, 2); // a strided view
        var path = Path.Combine(Path.GetTempPath(), $"nf-npy-{Guid.NewGuid():N}.npy");
        try
        {
            Npy.Write(path, t);
            var back = Npy.Read<float>(path);
            Assert.Equal(t.ShapeArray, back.ShapeArray);
            Assert.Equal(t.ToArray(), back.ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void RowBlockWriterProducesTheWholeArray()
    {
        // The use case: a 10×7 matrix written as row blocks of 3, 3, 3, 1.
        var full = new Rng(1).StandardNormal<double>(10, 7);
        var ms = new MemoryStream();
        using (var w = new NpyWriter<double>(ms, [10, 7], leaveOpen: true))
        {
            for (int r = 0; r < 10; r += 3) w.WriteRows(full.Slice(0, r, Math.Min(10, r + 3)));
            Assert.Equal(10, w.RowsWritten);
            w.Complete();
        }
        var direct = new MemoryStream();
        Npy.Write(direct, full);
        Assert.Equal(direct.ToArray(), ms.ToArray());
    }

    [Fact]
    public void WriterRejectsWrongBlocksAndIncompleteArrays()
    {
        var ms = new MemoryStream();
        using var w = new NpyWriter<float>(ms, [4, 3], leaveOpen: true);
        Assert.Throws<ArgumentException>(() => w.WriteRows(Tensor.Zeros<float>(2, 4)));
        w.WriteRows(Tensor.Zeros<float>(3, 3));
        Assert.Throws<ArgumentException>(() => w.WriteRows(Tensor.Zeros<float>(2, 3))); // 5 rows > 4
        Assert.Throws<InvalidOperationException>(() => w.Complete());
        w.Write(new float[3]);
        w.Complete();
    }

    [Fact]
    public void WriterHandlesShapesBeyondIntMaxValueInTheHeader()
    {
        // Header only: a 50000×50000 float64 kernel matrix (2.5e9 elements) must be declarable.
        var ms = new MemoryStream();
        var w = new NpyWriter<double>(ms, [50000, 50000], leaveOpen: true);
        Assert.Equal(2_500_000_000L, w.TotalElements);
        w.Write(new double[] { 1, 2 });
        ms.Position = 0;
        var h = Npy.ReadHeader(ms);
        Assert.Equal(2_500_000_000L, h.ElementCount);
        Assert.Equal(new[] { 50000, 50000 }, h.Shape);
    }
}

public class NpyMalformedTests
{
    private static byte[] File(string dict, byte[] data, int major = 1)
    {
        var ms = new MemoryStream();
        ms.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 });
        var h = Encoding.ASCII.GetBytes(dict + "\n");
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)h.Length));
        else ms.Write(BitConverter.GetBytes((uint)h.Length));
        ms.Write(h);
        ms.Write(data);
        return ms.ToArray();
    }

    private static InvalidDataException Fails(byte[] bytes, string mustContain)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Npy.Read<double>(new MemoryStream(bytes)));
        Assert.Contains("byte", ex.Message);
        Assert.Contains(mustContain, ex.Message);
        // Hiding the length changes how data is read, not the verdict.
        Assert.Throws<InvalidDataException>(() => Npy.Read<double>(new NonSeekableStream(new MemoryStream(bytes))));
        return ex;
    }

    private const string Good = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";

    [Fact]
    public void WellFormedBaselineReads() => Assert.Equal(new[] { 1.0, 2.0 }, Npy.Read<double>(new MemoryStream(File(Good, [.. BitConverter.GetBytes(1.0), .. BitConverter.GetBytes(2.0)]))).ToArray());

    [Fact]
    public void BadMagic()
    {
        var b = File(Good, new byte[16]);
        b[1] = (byte)'X';
        Fails(b, "magic");
    }

    [Fact]
    public void UnknownVersion() => Fails(File(Good, new byte[16], major: 9), "version");

    [Fact]
    public void EmptyAndTinyFiles()
    {
        Fails([], "byte 0");
        Fails([0x93, (byte)'N', (byte)'U'], "magic");
    }

    [Fact]
    public void HeaderLongerThanTheFile()
    {
        var b = File(Good, new byte[16]);
        b[8] = 0xFF; b[9] = 0xF0;
        Fails(b, "header");
        var v2 = File(Good, new byte[16], major: 2);
        BitConverter.GetBytes(0x7FFFFFF0u).CopyTo(v2, 8);
        Fails(v2, "header length");
    }

    [Theory]
    [InlineData("{'descr': '<f8' 'fortran_order': False, 'shape': (2,), }", "expected")]
    [InlineData("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,), }", "True or False")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2,, }", "dimension")]
    [InlineData("{'descr': '<f8', 'fortran_order': False}", "missing")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", "unexpected key")]
    [InlineData("{'descr': '<f8, 'fortran_order': False, 'shape': (2,), }", "expected")]
    [InlineData("not a dict", "expected '{'")]
    [InlineData("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }", "structured")]
    public void UnparsableHeaderDicts(string dict, string message) => Fails(File(dict, new byte[16]), message);

    [Theory]
    [InlineData("<c16")]
    [InlineData("<f2")]
    [InlineData("|b1")]
    [InlineData("O")]
    [InlineData("")]
    public void UnknownDtypes(string descr) => Fails(File($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}", new byte[32]), "dtype");

    [Fact]
    public void NegativeDimension() => Fails(File("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }", new byte[16]), "negative");

    [Fact]
    public void ShapeNotMatchingTheData()
    {
        Fails(File("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", new byte[16]), "Truncated");
        // Extra bytes after the data are an error when reading a whole file.
        var path = Path.Combine(Path.GetTempPath(), $"nf-npy-{Guid.NewGuid():N}.npy");
        try
        {
            System.IO.File.WriteAllBytes(path, File(Good, new byte[24]));
            var ex = Assert.Throws<InvalidDataException>(() => Npy.Read<double>(path));
            Assert.Contains("byte", ex.Message);
        }
        finally { System.IO.File.Delete(path); }
    }

    [Fact]
    public void AbsurdSizesFailFastWithoutAllocating()
    {
        // 1e12 elements declared, 100 bytes present: rejected before allocating anything large.
        long before = GC.GetAllocatedBytesForCurrentThread();
        Fails(File("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", new byte[100]), "Truncated");
        Fails(File("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647, 2147483647), }", new byte[8]), "overflows");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "a hostile header made the reader allocate by its declared size");
    }
}

public class NpyReadRowsTests
{
    [Fact]
    public void RowBlocksReadBackWhatTheWriterStreamed()
    {
        var full = new Rng(44).StandardNormal<float>(9, 2, 3);
        var path = Path.Combine(Path.GetTempPath(), $"nf-npy-{Guid.NewGuid():N}.npy");
        try
        {
            using (var w = new NpyWriter<float>(path, 9, 2, 3))
            {
                for (int r = 0; r < 9; r += 4) w.WriteRows(full.Slice(0, r, Math.Min(9, r + 4)));
                w.Complete();
            }
            var mid = Npy.ReadRows<float>(path, 3, 5);
            Assert.Equal(new[] { 5, 2, 3 }, mid.ShapeArray);
            Assert.Equal(full.Slice(0, 3, 8).ToArray(), mid.ToArray());
            Assert.Equal(full.Slice(0, 8, 9).ToArray(), Npy.ReadRows<double>(path, 8, 1).Cast<float>().ToArray());
            Assert.Equal(0, Npy.ReadRows<float>(path, 9, 0).Length);
            Assert.Throws<ArgumentOutOfRangeException>(() => Npy.ReadRows<float>(path, 7, 3));
        }
        finally { File.Delete(path); }
        // Big-endian ints from NumPy, and the Fortran-order refusal.
        Assert.Equal(new double[] { -1, 0, 1 }, Npy.ReadRows<double>(Fixture.Path("i4_be_6.npy"), 2, 3).ToArray());
        Assert.Throws<NotSupportedException>(() => Npy.ReadRows<double>(Fixture.Path("f4_fortran_3x4.npy"), 0, 1));
    }
}
