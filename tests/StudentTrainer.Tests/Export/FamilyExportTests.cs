using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;
using Xunit.Abstractions;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>
/// The exporter's one folder for each family: model.onnx computes the logits of the model loaded from the folder's own
/// model.safetensors (in the dtype it was saved in), and of the TorchSharp model it was exported from.
/// </summary>
public sealed class FamilyExportTests(ITestOutputHelper output) : IDisposable
{
    private const float Tolerance = 1e-4f;
    private readonly ExportTestFolder _folder = new();

    public static TheoryData<string, string> Families => new()
    {
        { "gpt2", "float32" }, { "llama", "float32" }, { "mistral", "float32" }, { "qwen2", "float32" }, { "qwen3", "float32" },
        { "llama", "bfloat16" }, { "qwen3", "float16" },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void Onnx_equals_the_saved_safetensors_and_the_trained_model(string family, string dtype)
    {
        using CausalLm model = RandomGpt.Create(Config(family, ExportTestFolder.TokenizerVocabSize), seed: 31);
        string folder = _folder.NewFolder(family);
        OnnxExporter.Export(model, _folder.Tokenizer, folder, new OnnxExportOptions { WeightsDtype = dtype });

        using CausalLm saved = ModelFolder.Load(folder);
        Assert.Equal(dtype, saved.Config.TorchDtype);
        Assert.Equal(model.Config.ModelType, saved.Config.ModelType);
        TokenBatch batch = TokenBatch.Padded(ExportTestFolder.TokenizerVocabSize, 14, [14, 9], [false, true], seed: 8);
        using var onnx = new OrtModel(Path.Combine(folder, OnnxExporter.ModelFile));
        float[] served = onnx.Logits(batch, onnx.EmptyPast(batch.Batch)).Values;
        float againstSaved = TorchLogits.MaxAbsDifferenceOnRealPositions(served, TorchLogits.Of(saved, batch), batch, ExportTestFolder.TokenizerVocabSize);
        float againstTrained = TorchLogits.MaxAbsDifferenceOnRealPositions(served, TorchLogits.Of(model, batch), batch, ExportTestFolder.TokenizerVocabSize);
        output.WriteLine($"{family} saved as {dtype}: max |ORT − safetensors model| {againstSaved:E2}, |ORT − trained model| {againstTrained:E2}");
        Assert.InRange(againstSaved, 0, Tolerance);
        if (dtype == "float32") Assert.InRange(againstTrained, 0, Tolerance);
        else Assert.True(againstTrained > Tolerance, "rounding the weights should move the logits of these sharp random weights");
    }

    [Fact]
    public void The_weights_dtype_defaults_to_the_students_own()
    {
        using CausalLm model = RandomGpt.Create(Config("llama", ExportTestFolder.TokenizerVocabSize) with { TorchDtype = "bfloat16" }, seed: 32);
        string folder = _folder.NewFolder("own-dtype");
        OnnxExporter.Export(model, _folder.Tokenizer, folder);
        Assert.Equal("bfloat16", ModelFolder.ReadConfig(folder).TorchDtype);
        Assert.Contains("\"BF16\"", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(Path.Combine(folder, HuggingFaceCheckpoint.WeightsFile)), 0, 400));
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>A tiny model of <paramref name="family"/>: grouped-query attention, untied head and explicit head_dim where the family has them.</summary>
    internal static ModelConfig Config(string family, int vocab) => family switch
    {
        "gpt2" => Gpt2Config.Project(vocab, context: 32, width: 32, layers: 2, heads: 4, dropout: 0.0) with { ActivationFunction = "gelu_new" },
        _ => new LlamaConfig
        {
            ModelType = family, VocabSize = vocab, HiddenSize = 32, IntermediateSize = 48, HiddenLayers = 2, AttentionHeads = 4,
            KeyValueHeadCount = 2, HeadDimension = family == "qwen3" ? 12 : null, MaxPositionEmbeddings = 32,
            TieWordEmbeddings = family == "qwen2", RmsNormEps = 1e-6,
        },
    };
}
