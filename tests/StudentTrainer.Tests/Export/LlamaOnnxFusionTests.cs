using Distill.Shared.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>
/// ONNX Runtime's optimiser (all levels, as the server opens a model) recognises the graph's RMSNorms and fuses each
/// into one SimplifiedLayerNormalization, so the pattern the exporter writes keeps matching the one ORT looks for.
/// </summary>
public sealed class LlamaOnnxFusionTests(ITestOutputHelper output) : IDisposable
{
    private readonly ExportTestFolder _folder = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_RMSNorm_becomes_one_SimplifiedLayerNormalization(bool qkNorm)
    {
        var shape = RandomLlama.Shape(vocab: 120, hidden: 32, layers: 2, heads: 4, keyValueHeads: 2, headDim: 8, qkNorm, tied: false);
        var parameters = RandomLlama.Parameters(shape, intermediate: 48, LlamaBiases.None, seed: 31);
        string path = RandomLlama.Export(_folder.NewFolder("fusion"), shape, parameters, includePast: true);
        RandomLlama.Dispose(parameters);
        string optimizedPath = Path.Combine(Path.GetDirectoryName(path)!, "optimized.onnx");
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimizedPath })
        using (new InferenceSession(path, options))
        {
        }

        var exported = OpCounts(path);
        var optimized = OpCounts(optimizedPath);
        output.WriteLine($"exported: {exported.Values.Sum()} nodes; {Describe(exported)}");
        output.WriteLine($"optimised: {optimized.Values.Sum()} nodes; {Describe(optimized)}");
        int norms = 2 * shape.Layers + 1 + (qkNorm ? 2 * shape.Layers : 0);
        Assert.Equal(norms, exported["ReduceMean"]);
        Assert.Equal(norms, optimized.GetValueOrDefault("SimplifiedLayerNormalization"));
        Assert.False(optimized.ContainsKey("ReduceMean"));
    }

    public void Dispose() => _folder.Dispose();

    private static Dictionary<string, int> OpCounts(string path) =>
        ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());

    private static string Describe(Dictionary<string, int> counts) =>
        string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}"));
}
