using System.Text.Json;
using System.Xml.Linq;
using NativeFree.Cli;
using NativeFree.Cli.Experiments;
using Xunit;

namespace NativeFree.Kernels.Tests;

/// <summary>
/// <c>nativefree experiment ntk-width --quick</c> end to end: the claim's figures (error slope ≈ −1/2 in width,
/// the wide network closer to the kernel dynamics than the narrow one), the JSON and SVG files, and the command's
/// usage errors. The quick run takes a few seconds; it is the CI form of the experiment.
/// </summary>
public class NtkWidthExperimentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nf-ntk-width").FullName;
    private static readonly ICommand[] Commands = [new ExperimentCommand()];

    public void Dispose() => Directory.Delete(_dir, true);

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = NativeFree.Cli.Cli.Run(args, Commands, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void QuickRunShowsTheWidthLawAndTheKernelDynamics()
    {
        var (code, stdout, err) = Run("experiment", "ntk-width", "--quick", "--out", _dir, "--json");
        Assert.True(code == 0, err);
        var last = stdout.TrimEnd().Split('\n')[^1];
        using var doc = JsonDocument.Parse(last);
        var r = doc.RootElement;
        Assert.Equal("ntk-width", r.GetProperty("experiment").GetString());
        Assert.True(r.GetProperty("quick").GetBoolean());

        // Jacot et al.: the empirical NTK's deviation from the limit shrinks like width^-1/2.
        double slope = r.GetProperty("slope").GetDouble();
        Assert.InRange(slope, -0.75, -0.3);
        var err0 = r.GetProperty("relative_error").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.True(err0[^1] < 0.1, $"widest relative error {err0[^1]}");
        Assert.True(err0[^1] < err0[0] / 3, $"errors {string.Join(", ", err0)}");

        // The wide network trained by GD stays closer to the NTK dynamics than the narrow one, and both learn.
        var dyn = r.GetProperty("dynamics").EnumerateArray().ToArray();
        double narrow = dyn[0].GetProperty("max_test_deviation").GetDouble(), wide = dyn[^1].GetProperty("max_test_deviation").GetDouble();
        Assert.True(wide < narrow && wide < 0.3, $"test deviation from the kernel dynamics: narrow {narrow}, wide {wide}");
        foreach (var run in dyn)
        {
            var loss = run.GetProperty("train_loss_net").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.True(loss[^1] < loss[0] / 10, $"width {run.GetProperty("width")}: loss {loss[0]} → {loss[^1]}");
        }
        double wideNet = dyn[^1].GetProperty("final_train_loss_net").GetDouble(), wideKernel = dyn[^1].GetProperty("final_train_loss_kernel").GetDouble();
        Assert.InRange(wideNet / wideKernel, 0.33, 3);

        // The files: the same object on disk, and two SVG documents that parse.
        using var onDisk = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "ntk-width.json")));
        Assert.Equal(slope, onDisk.RootElement.GetProperty("slope").GetDouble());
        foreach (var svg in new[] { "ntk-width.svg", "ntk-width-dynamics.svg" })
        {
            var root = XDocument.Load(Path.Combine(_dir, svg)).Root!;
            Assert.Equal("svg", root.Name.LocalName);
            Assert.Contains(root.Descendants(), e => e.Name.LocalName == "polyline");
        }
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void ListAndUsageErrors()
    {
        var (code, stdout, _) = Run("experiment", "list");
        Assert.Equal(0, code);
        Assert.Contains("ntk-width", stdout);
        Assert.Contains("Jacot", stdout);

        (code, _, var err) = Run("experiment", "no-such-thing");
        Assert.Equal(2, code);
        Assert.Contains("unknown experiment 'no-such-thing'", err);
        Assert.Contains("ntk-width", err);

        (code, _, err) = Run("experiment", "ntk-width", "--seed", "-3", "--out", _dir);
        Assert.Equal(2, code);
        Assert.Contains("--seed", err);
        (code, _, err) = Run("experiment", "ntk-width", "--quik");
        Assert.Equal(2, code);
        Assert.Contains("--quik", err);
        Assert.Empty(Directory.GetFiles(_dir));
    }
}
