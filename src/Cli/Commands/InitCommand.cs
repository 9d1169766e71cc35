using System.Diagnostics;
using System.Globalization;
using NativeFree.Models;
using NativeFree.Models.State;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Cli.Commands;

/// <summary><c>nativefree init --net SPEC --input-shape 1,28,28 --seed S --out W.safetensors</c>: freshly initialised weights.</summary>
public sealed class InitCommand : ICommand
{
    public string Name => "init";
    public string Summary => "freshly initialised weights of a finite network (SPEC), seeded, to safetensors";
    public string Help =>
        "usage: nativefree init --net \"SPEC\" --input-shape SHAPE --seed S --out W.safetensors\n" +
        "                       [--parametrization standard|ntk|mup|mup-adam] [--dtype float32|float64] [--json]\n\n" +
        "Builds the network SPEC for per-example inputs of SHAPE and writes its state dict (PyTorch's keys and shapes,\n" +
        "num_batches_tracked as I64; the SPEC is recorded in the file's metadata). Weights are drawn from the Philox\n" +
        "generator seeded with S, parameter by parameter in key order, so the file depends only on the SPEC, SHAPE,\n" +
        "S, parametrization and dtype: the same on any machine and thread count.\n" +
        "  --net              the network\n" +
        "  --input-shape      per-example input shape without the batch axis: d, C,L or C,H,W (NCHW), e.g. 1,28,28\n" +
        "  --seed             the generator's seed (an integer ≥ 0)\n" +
        "  --out              the safetensors file (written whole to a temporary file, then moved into place)\n" +
        "  " + ModelOptions.ParametrizationHelp.Replace("\n", "\n                     ") + ";\n" +
        "                     values are stored as drawn (NTK: N(0, 1)), so evaluate with the same --parametrization\n" +
        "  --dtype            float32 (default) or float64\n" +
        "  --json             print {parameters (scalars), tensors, seconds, dtype, seed, out}\n\n" +
        Models.Spec.SpecGrammar.Help + "\n\nexample:\n  nativefree init --net \"linear(128) relu linear(10)\" --input-shape 784 --seed 1 --out w.safetensors";

    public int Run(string[] args, TextWriter stdout)
    {
        var cli = new CliArgs(args, new HashSet<string> { "--json" });
        if (cli.Positional.Count > 0) throw new CliException($"unexpected argument '{cli.Positional[0]}'");
        string netText = cli.Require("--net");
        var inputShape = ModelOptions.Shape(cli.Require("--input-shape"), "--input-shape");
        string seedText = cli.Require("--seed");
        if (!ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed))
            throw new CliException($"--seed expects an integer ≥ 0, got '{seedText}'");
        string outPath = cli.Require("--out");
        string? parametrization = cli.Get("--parametrization");
        string dtype = ModelOptions.Dtype(cli) ?? "float32";
        bool json = cli.Flag("--json");
        cli.RejectUnknown();

        var spec = ModelOptions.ParseNet(netText, parametrization);
        var sw = Stopwatch.StartNew();
        var (parameters, tensors) = dtype == "float64" ? Write<double>(spec, inputShape, seed, outPath) : Write<float>(spec, inputShape, seed, outPath);
        double seconds = sw.Elapsed.TotalSeconds;
        if (json)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"parameters\": {parameters}, \"tensors\": {tensors}, \"seconds\": {seconds:G6}, \"dtype\": \"{dtype}\", \"seed\": {seed}, \"out\": {KernelCommand.JsonString(outPath)}}}"));
        else
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"init: {parameters} parameters in {tensors} tensors ({dtype}, seed {seed}) written to {outPath}"));
        return 0;
    }

    private static (long Parameters, int Tensors) Write<T>(Models.Layers.SequentialSpec spec, int[] inputShape, ulong seed, string path)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var module = spec.Build<T>(inputShape, new Rng(seed));
        StateDict.Save(module, path);
        return (module.ParameterCount, StateDict.Entries(module).Count);
    }
}
