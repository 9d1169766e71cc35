using NativeFree.Cli;
using NativeFree.Cli.Commands;
using NativeFree.Tensors.Sparse;
using Xunit;

namespace NativeFree.Tensors.Tests.Sparse;

/// <summary>In the "SpGEMM tuning" collection: never in parallel with other tests that lower SpGEMM's tuning statics or read its row counts.</summary>
[Collection(SpGemmTuning.Name)]
public class SpGemmCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Cli.Cli.Run(args, [new SpGemmCommand()], o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void MultipliesFilesAndWritesTheProduct()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nf-spgemm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var a = SparseGenerators.Laplacian2D<double>(7, 5);
            var b = SparseGenerators.ErdosRenyi<double>(35, 9, 0.2, seed: 3);
            string pa = Path.Combine(dir, "a.mtx"), pb = Path.Combine(dir, "b.mtx"), pc = Path.Combine(dir, "c.mtx");
            MatrixMarket.Write(pa, a);
            MatrixMarket.Write(pb, b);
            var (code, output, err) = Run("spgemm", pa, pb, "--out", pc, "--threads", "2", "--sorted", "--json", "--repeat", "1");
            Assert.True(code == 0, err);
            var expect = SpGemm.MultiplyReference(a, b);
            Assert.Contains($"\"nnzC\":{expect.Nnz},", output);
            Assert.Contains($"\"multiplies\":{SpGemm.CountMultiplies(a, b)},", output);
            var c = MatrixMarket.ReadCsr<double>(pc);
            Assert.Equal(expect.RowPointers.ToArray(), c.RowPointers.ToArray());
            Assert.Equal(expect.ColumnIndices.ToArray(), c.ColumnIndices.ToArray());
            Assert.Equal(expect.Values.ToArray(), c.Values.ToArray());

            var (code2, text, _) = Run("spgemm", pa, "--repeat", "1");
            Assert.Equal(0, code2);
            Assert.Contains("MFLOPS", text);

            // Mismatched inner dimensions: exit code 1 and both shapes named.
            var (code3, _, err3) = Run("spgemm", pb, pb);
            Assert.Equal(1, code3);
            Assert.Contains("[35, 9]", err3);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>--mask: the file's product equals the library's masked product; a wrong mask shape is a user error naming it.</summary>
    [Fact]
    public void MaskedProductFromFiles()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nf-spgemm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var a = SparseGenerators.ErdosRenyi<double>(30, 30, 0.15, seed: 7);
            var mask = SparseGenerators.ErdosRenyi<double>(30, 30, 0.2, seed: 8);
            string pa = Path.Combine(dir, "a.mtx"), pm = Path.Combine(dir, "m.mtx"), pc = Path.Combine(dir, "c.mtx");
            MatrixMarket.Write(pa, a);
            MatrixMarket.Write(pm, mask);
            foreach (bool keep in new[] { false, true })
            {
                var args = new List<string> { "spgemm", pa, "--mask", pm, "--out", pc, "--json", "--repeat", "1", "--threads", "2" };
                if (keep) args.Add("--keep-mask-pattern");
                var (code, output, err) = Run(args.ToArray());
                Assert.True(code == 0, err);
                var expect = SpGemm.MultiplyMasked(a, a, mask, keep).SortIndices();
                var c = MatrixMarket.ReadCsr<double>(pc);
                Assert.Equal(expect.RowPointers.ToArray(), c.RowPointers.ToArray());
                Assert.Equal(expect.ColumnIndices.ToArray(), c.ColumnIndices.ToArray());
                Assert.Equal(expect.Values.ToArray(), c.Values.ToArray());
                Assert.Contains($"\"nnzC\":{expect.Nnz},", output);
                if (keep) Assert.Equal(mask.Nnz, c.Nnz);
            }
            var wrong = SparseGenerators.ErdosRenyi<double>(30, 29, 0.2, seed: 9);
            string pw = Path.Combine(dir, "w.mtx");
            MatrixMarket.Write(pw, wrong);
            var (code2, _, err2) = Run("spgemm", pa, "--mask", pw, "--repeat", "1");
            Assert.Equal(1, code2);
            Assert.Contains("[30, 29]", err2);
            var (code3, _, err3) = Run("spgemm", pa, "--keep-mask-pattern");
            Assert.Equal(2, code3); // usage error
            Assert.Contains("--mask", err3);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ServeTimesOneProductPerRequestLine()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nf-spgemm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var a = SparseGenerators.Laplacian2D<double>(9, 6);
            string pa = Path.Combine(dir, "a.mtx");
            MatrixMarket.Write(pa, a);
            var cli = new CliArgs([pa], new HashSet<string>());
            var o = new StringWriter();
            int code = SpGemmCommand.Serve<double>(cli, new SpGemmOptions(), new StringReader("1\n2 window\n\n1 hash\n"), o);
            Assert.Equal(0, code);
            var lines = o.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(4, lines.Length);
            Assert.Equal("ready", lines[0].Trim());
            long nnz = SpGemm.MultiplyReference(a, a).Nnz;
            foreach (var line in lines[1..]) Assert.Contains($"\"nnzC\":{nnz},", line);
            Assert.Contains("\"windowRows\":54", lines[2]);
            Assert.Contains("\"hashRows\":54", lines[3]);
            Assert.Throws<CliException>(() => SpGemmCommand.Serve<double>(cli, new SpGemmOptions(), new StringReader("x\n"), new StringWriter()));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BadArgumentsAreUserErrors()
    {
        Assert.Equal(2, Run("spgemm").Code);
        Assert.Equal(2, Run("spgemm", "x.mtx", "--accumulator", "tree").Code);
        var (code, _, err) = Run("spgemm", Path.Combine(Path.GetTempPath(), "does-not-exist-" + Guid.NewGuid() + ".mtx"));
        Assert.NotEqual(0, code);
        Assert.NotEmpty(err);
    }
}
