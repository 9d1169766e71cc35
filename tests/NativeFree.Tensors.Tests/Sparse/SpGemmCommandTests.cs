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
