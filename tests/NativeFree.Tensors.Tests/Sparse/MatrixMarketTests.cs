using System.Text;
using FsCheck.Xunit;
using NativeFree.Tensors;
using NativeFree.Tensors.Sparse;
using Xunit;
using static NativeFree.Tensors.Tests.Sparse.SparseTestData;

namespace NativeFree.Tensors.Tests.Sparse;

public class MatrixMarketTests
{
    private static Stream S(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    private static string WriteToString(CsrMatrix<double> a, MatrixMarketField field = MatrixMarketField.Real, MatrixMarketSymmetry sym = MatrixMarketSymmetry.General)
    {
        var w = new StringWriter();
        MatrixMarket.Write(w, a, field, sym);
        return w.ToString();
    }

    [Property(MaxTest = 150)]
    public bool CoordinateRoundTripIsExact(int seed)
    {
        var rng = new Random(seed);
        var (m, n) = Shape(rng);
        var a = RandomCsr(rng, m, n, out var dense);
        // Values that need all 17 digits, to check the text is round-trip exact.
        var v = a.Values;
        for (int p = 0; p < v.Length; p++) v[p] = v[p] / 3.0 + 1e-13 * rng.NextDouble();
        var expect = ToArray2(a);
        var back = MatrixMarket.ReadCsr<double>(S(WriteToString(rng.Next(2) == 0 ? a : Shuffle(rng, a))));
        if (back.Rows != m || back.Columns != n) return false;
        var got = ToArray2(back);
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) if (got[i, j] != expect[i, j]) return false;
        _ = dense;
        return true;
    }

    [Property(MaxTest = 100)]
    public bool SymmetricWriteThenReadExpands(int seed)
    {
        var rng = new Random(seed);
        int n = rng.Next(0, 9);
        var a = RandomCsr(rng, n, n, out var d);
        var sym = a + a.Transpose();                 // symmetric
        var skew = a - a.Transpose();                // skew-symmetric (zero diagonal)
        var symBack = MatrixMarket.ReadCsr<double>(S(WriteToString(sym, MatrixMarketField.Real, MatrixMarketSymmetry.Symmetric)));
        var skewBack = MatrixMarket.ReadCsr<double>(S(WriteToString(skew, MatrixMarketField.Real, MatrixMarketSymmetry.SkewSymmetric)));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (symBack[i, j] != d[i, j] + d[j, i]) return false;
                if (skewBack[i, j] != d[i, j] - d[j, i]) return false;
            }
        return true;
    }

    [Fact]
    public void ReadsHandWrittenSymmetricPatternIntegerAndArrayFiles()
    {
        var sym = MatrixMarket.ReadDense<double>(S(
            "%%MatrixMarket matrix coordinate real symmetric\n% a comment\n%another\n\n3 3 4\n1 1 2.5\n2 1 -1\n3 2 4e0\n3 3 1\n"));
        Assert.Equal(new double[] { 2.5, -1, 0, -1, 0, 4, 0, 4, 1 }, sym.ToArray());

        var pat = MatrixMarket.ReadCsr<float>(S("%%MatrixMarket matrix coordinate pattern general\n2 3 2\n1 3\r\n2 1\r\n"));
        Assert.Equal(1f, pat[0, 2]);
        Assert.Equal(1f, pat[1, 0]);
        Assert.Equal(2, pat.Nnz);

        var skew = MatrixMarket.ReadDense<double>(S("%%MatrixMarket matrix coordinate integer skew-symmetric\n2 2 1\n2 1 7\n"));
        Assert.Equal(new double[] { 0, -7, 7, 0 }, skew.ToArray());

        var arr = MatrixMarket.ReadDense<double>(S("%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4\n5\n6\n"));
        Assert.Equal(new double[] { 1, 3, 5, 2, 4, 6 }, arr.ToArray()); // column-major in the file

        var arrSym = MatrixMarket.ReadDense<double>(S("%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n3\n"));
        Assert.Equal(new double[] { 1, 2, 2, 3 }, arrSym.ToArray());

        var dup = MatrixMarket.ReadCsr<double>(S("%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n1 1 2\n2 2 inf\n"));
        Assert.Equal(3.0, dup[0, 0]);
        Assert.True(double.IsPositiveInfinity(dup[1, 1]));
    }

    [Fact]
    public void DenseArrayRoundTrip()
    {
        var rng = new Random(3);
        var t = RandomDense(rng, 4, 3);
        var w = new StringWriter();
        MatrixMarket.WriteDense(w, t);
        Assert.Equal(t.ToArray(), MatrixMarket.ReadDense<double>(S(w.ToString())).ToArray());
    }

    [Theory]
    [InlineData("%%MatrixMarket matrix coordinate real general\n", 2)]                       // no size line
    [InlineData("%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 1\n", 1)]          // wrong header
    [InlineData("%%MatrixMarket matrix sparse real general\n1 1 1\n1 1 1\n", 1)]              // unknown format
    [InlineData("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n", 1)]     // complex
    [InlineData("%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1\n2 2 2\n", 5)]  // fewer entries than declared
    [InlineData("%%MatrixMarket matrix coordinate real general\n3 3 1\n1 4 1\n", 3)]         // column out of range
    [InlineData("%%MatrixMarket matrix coordinate real general\n3 3 1\n0 1 1\n", 3)]         // 0-based index
    [InlineData("%%MatrixMarket matrix coordinate real general\n3 3 1\n1 1 abc\n", 3)]       // non-numeric value
    [InlineData("%%MatrixMarket matrix coordinate real general\n-3 3 1\n1 1 1\n", 2)]        // negative size
    [InlineData("%%MatrixMarket matrix coordinate real general\n% c\n2 2 1\n1 1 1\n2 2 2\n", 5)] // more entries than declared
    [InlineData("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1 9\n", 3)]       // extra token
    [InlineData("%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 1.5\n", 3)]    // real in integer file
    [InlineData("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 1\n", 3)]  // skew diagonal
    [InlineData("%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n1 1 1\n", 2)]       // non-square symmetric
    [InlineData("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n", 6)]               // array too short
    [InlineData("%%MatrixMarket matrix coordinate real general\n99999999999 2 1\n1 1 1\n", 2)] // beyond int
    public void MalformedFilesNameTheLine(string text, int line)
    {
        var e = Assert.Throws<InvalidDataException>(() => MatrixMarket.ReadCsr<double>(S(text)));
        Assert.Contains($"line {line} ", e.Message);
    }

    /// <summary>A size line claiming billions of entries in a tiny file fails at once, before any data is stored.</summary>
    [Fact]
    public void BillionsDeclaredInATinyFileFailsWithoutAllocating()
    {
        string text = "%%MatrixMarket matrix coordinate real general\n2000000000 2000000000 3000000000\n1 1 1\n";
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => MatrixMarket.ReadCsr<double>(S(text)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("line 2 ", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");

        // A non-seekable stream cannot be measured up front: the reader must still stop at the end,
        // having stored only what arrived.
        var ns = new NonSeekable(Encoding.UTF8.GetBytes(text));
        before = GC.GetAllocatedBytesForCurrentThread();
        var e2 = Assert.Throws<InvalidDataException>(() => MatrixMarket.ReadCsr<double>(ns));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("line 4 ", e2.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");

        // A huge declared dense array is never allocated either.
        var e3 = Assert.Throws<InvalidDataException>(() => MatrixMarket.ReadDense<double>(new NonSeekable(Encoding.UTF8.GetBytes("%%MatrixMarket matrix array real general\n100000 100000\n1\n"))));
        Assert.Contains("line 4 ", e3.Message);
    }

    [Fact]
    public void OverlongLineIsRejected()
    {
        string text = "%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 " + new string('1', 100_000) + "\n";
        var e = Assert.Throws<InvalidDataException>(() => MatrixMarket.ReadCsr<double>(S(text)));
        Assert.Contains("line 3 ", e.Message);
    }

    /// <summary>
    /// Random byte mutations of valid files (fixed seed, bounded count): the reader either returns a
    /// matrix of the declared shape or throws InvalidDataException — nothing else, and it terminates.
    /// </summary>
    [Fact]
    public void FuzzedFilesThrowOnlyInvalidData()
    {
        var rng = new Random(20261128);
        var seeds = new List<string>();
        for (int s = 0; s < 6; s++)
        {
            var a = RandomCsr(rng, rng.Next(1, 6), rng.Next(1, 6), out _);
            seeds.Add(WriteToString(a));
        }
        seeds.Add(WriteToString(SparseGenerators.Laplacian2D<double>(3, 3), MatrixMarketField.Integer, MatrixMarketSymmetry.Symmetric));
        seeds.Add("%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n3\n");
        seeds.Add("%%MatrixMarket matrix coordinate pattern general\n% c\n3 3 2\n1 2\n3 1\n");
        const string alphabet = "0123456789 -+.eE%\n\r\tinfa%%Mx";
        int ok = 0, invalid = 0;
        for (int iter = 0; iter < 6000; iter++)
        {
            var bytes = Encoding.UTF8.GetBytes(seeds[rng.Next(seeds.Count)]).ToList();
            int edits = rng.Next(1, 5);
            for (int e = 0; e < edits; e++)
            {
                int p = rng.Next(bytes.Count + 1);
                switch (rng.Next(4))
                {
                    case 0: if (p < bytes.Count) bytes[p] = (byte)alphabet[rng.Next(alphabet.Length)]; break;
                    case 1: bytes.Insert(p, (byte)alphabet[rng.Next(alphabet.Length)]); break;
                    case 2: if (p < bytes.Count) bytes.RemoveAt(p); break;
                    default: if (p < bytes.Count) bytes[p] = (byte)rng.Next(256); break;
                }
            }
            try
            {
                var m = MatrixMarket.ReadCsr<double>(new MemoryStream(bytes.ToArray()));
                Assert.True(m.Rows >= 0 && m.Columns >= 0);
                ok++;
            }
            catch (InvalidDataException) { invalid++; }
        }
        Assert.True(ok > 0 && invalid > 0, $"ok {ok}, invalid {invalid}");
    }

    [Fact]
    public void WriterRejectsWrongSymmetryAndNonIntegers()
    {
        var coo = new CooBuilder<double>(2, 2);
        coo.Add(0, 1, 1.5);
        var a = coo.ToCsr();
        Assert.Throws<ArgumentException>(() => WriteToString(a, MatrixMarketField.Real, MatrixMarketSymmetry.Symmetric));
        Assert.Throws<ArgumentException>(() => WriteToString(a, MatrixMarketField.Integer));
        var pattern = MatrixMarket.ReadCsr<double>(S(WriteToString(a, MatrixMarketField.Pattern)));
        Assert.Equal(1.0, pattern[0, 1]);
    }

    private sealed class NonSeekable(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
