using System.Text.Json.Nodes;
using Distill.Shared.Data;
using Distill.Shared.Onnx;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Tests.Cli;
using Google.Protobuf;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>Exported model folders read back into a <see cref="CausalLm"/> by <see cref="OnnxWeightImporter"/> and the <c>import</c> command.</summary>
public sealed class OnnxWeightImportTests(ITestOutputHelper output) : IDisposable
{
    private readonly ExportTestFolder _folder = new();

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void Export_then_import_gives_every_parameter_bit_for_bit(bool includePast, bool exactGelu)
    {
        Gpt2Config config = RandomGpt.Config(300, 24, 32, 2, 4, exactGelu) with { ResidualDropout = 0.1, EmbeddingDropout = 0.1 };
        using CausalLm original = RandomGpt.Create(config, seed: 41);
        string exported = Export(original, includePast);

        using CausalLm imported = OnnxWeightImporter.Import(exported);

        Assert.True(config.SameShape(imported.Config));
        AssertSameParameters(original, imported);
        TokenBatch batch = TokenBatch.Padded(300, 12, [12, 7], [false, true], seed: 3);
        Assert.Equal(TorchLogits.Of(original, batch), TorchLogits.Of(imported, batch));
    }

    [Fact]
    public void A_folder_with_a_config_of_another_family_is_rejected_with_a_clear_message()
    {
        string message = ImportErrorAfter(exported => File.WriteAllText(Path.Combine(exported, OnnxExporter.ConfigFile),
            """{"model_type": "llama", "vocab_size": 300, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}"""));
        Assert.Contains("describes no gpt2 model", message);
    }

    [Fact]
    public void A_model_without_the_exporter_initializer_names_is_rejected_naming_the_first_missing_one()
    {
        string message = ImportErrorAfter(exported => RewriteModel(exported, model =>
        {
            foreach (TensorProto initializer in model.Graph.Initializer)
                if (!initializer.Name.StartsWith("const.", StringComparison.Ordinal)) initializer.Name = "onnx::" + initializer.Name;
        }));
        Assert.Contains("no initializer for 'transformer.wte.weight'", message);
    }

    [Fact]
    public void A_weight_of_the_wrong_shape_is_rejected_with_both_shapes()
    {
        string message = ImportErrorAfter(exported => RewriteModel(exported, model =>
        {
            TensorProto weight = model.Graph.Initializer.Single(t => t.Name == "transformer.h.0.attn.c_attn.weight");
            (weight.Dims[0], weight.Dims[1]) = (weight.Dims[1], weight.Dims[0]); // stored as (out, in), not (in, out)
        }));
        Assert.Contains("transformer.h.0.attn.c_attn.weight", message);
        Assert.Contains("[48, 16]", message);
        Assert.Contains("[16, 48]", message);
    }

    [Fact]
    public void Weights_of_a_layer_the_config_does_not_describe_are_rejected_not_dropped()
    {
        string message = ImportErrorAfter(exported => RewriteModel(exported, model =>
        {
            TensorProto extra = model.Graph.Initializer.Single(t => t.Name == "transformer.h.0.ln_1.weight").Clone();
            extra.Name = "transformer.h.1.ln_1.weight";
            model.Graph.Initializer.Add(extra);
        }));
        Assert.Contains("transformer.h.1.ln_1.weight", message);
    }

    [Fact]
    public void External_weight_data_is_rejected_with_a_clear_message()
    {
        string message = ImportErrorAfter(exported => RewriteModel(exported, model =>
        {
            TensorProto table = model.Graph.Initializer.Single(t => t.Name == "transformer.wte.weight");
            table.RawData = ByteString.Empty;
            table.DataLocation = TensorProto.Types.DataLocation.External;
            table.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "model.onnx.data" });
        }));
        Assert.Contains("external", message);
    }

    [Fact]
    public void Import_command_writes_a_checkpoint_with_the_tokenizer()
    {
        using CausalLm original = RandomGpt.Create(RandomGpt.Config(300, 16, 16, 1, 2, exactGelu: true), seed: 47);
        string exported = Export(original, includePast: true);
        string checkpoint = _folder.NewFolder("checkpoint");

        var (exitCode, stdout, stderr) = TrainerProcess.Run("import", "--model", exported, "--out", checkpoint);

        Assert.True(exitCode == 0, $"exit code {exitCode}: {stderr}");
        Assert.Contains(checkpoint, stdout);
        Assert.True(ModelFolder.HoldsWeights(checkpoint));
        Assert.Equal(TokenizerLoader.Load(_folder.Tokenizer).Fingerprint, TokenizerLoader.Load(checkpoint).Fingerprint);
        using CausalLm loaded = ModelFolder.Load(checkpoint);
        AssertSameParameters(original, loaded);
    }

    [Fact]
    public void Import_command_on_a_folder_without_a_model_fails_with_one_error_line()
    {
        string empty = _folder.NewFolder("empty");
        Directory.CreateDirectory(empty);

        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run("import", "--model", empty, "--out", _folder.NewFolder("out")));
        Assert.Contains(OnnxExporter.ConfigFile, line);
    }

    [Fact]
    public void The_default_teacher_has_a_kv_cache_and_the_logits_of_the_file_it_replaced()
    {
        string teacher = System.IO.Path.Combine(RepoRoot.Path, "models", "austen-gpt");
        ModelConfig config = Gpt2Config.Teacher;
        TokenBatch batch = DefaultTeacherLogits.Batch(teacher);
        DefaultTeacherLogits expected = DefaultTeacherLogits.Load();
        using var model = new OrtModel(Path.Combine(teacher, OnnxExporter.ModelFile));
        Assert.Contains("past_key_values.0.key", model.InputNames);
        Assert.Contains("present.0.key", model.OutputNames);
        DefaultTeacherLogits actual = DefaultTeacherLogits.Of(model.Logits(batch).Values, batch.Batch, batch.Length, config.VocabSize, expected.ProbeIds);

        double logSumExpDifference = expected.LogSumExp.Zip(actual.LogSumExp, (a, b) => Math.Abs(a - b)).Max();
        float probeDifference = TorchLogits.MaxAbsDifference(expected.ProbeLogits, actual.ProbeLogits);
        output.WriteLine($"over {batch.Batch * batch.Length} positions: max |Δ logsumexp| {DefaultTeacherLogits.Describe(logSumExpDifference)}, " +
                         $"max |Δ logit| at {expected.ProbeIds.Length} ids {DefaultTeacherLogits.Describe(probeDifference)}");
        Assert.InRange(logSumExpDifference, 0, 1e-5);
        Assert.InRange(probeDifference, 0, 1e-5f);
    }

    public void Dispose() => _folder.Dispose();

    private string Export(CausalLm model, bool includePast)
    {
        string folder = _folder.NewFolder(includePast ? "optimum" : "plain");
        OnnxExporter.Export(model, _folder.Tokenizer, folder, new OnnxExportOptions { IncludeEmptyPastKeyValues = includePast });
        return folder;
    }

    /// <summary>Same names, shapes and bit patterns.</summary>
    private static void AssertSameParameters(CausalLm expected, CausalLm actual)
    {
        var actualParameters = actual.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(expected.named_parameters().Select(p => p.name), actualParameters.Keys);
        foreach ((string name, var parameter) in expected.named_parameters())
        {
            float[] want = parameter.detach().contiguous().data<float>().ToArray();
            float[] got = actualParameters[name].detach().contiguous().data<float>().ToArray();
            Assert.True(parameter.shape.SequenceEqual(actualParameters[name].shape), $"parameter {name} has another shape");
            Assert.True(want.Select(BitConverter.SingleToInt32Bits).SequenceEqual(got.Select(BitConverter.SingleToInt32Bits)), $"parameter {name} differs");
        }
    }

    /// <summary>The message of the importer's error on a small export spoilt by <paramref name="spoil"/>.</summary>
    private string ImportErrorAfter(Action<string> spoil)
    {
        using CausalLm model = RandomGpt.Create(RandomGpt.Config(300, 16, 16, 1, 2, exactGelu: true), seed: 42);
        string exported = Export(model, includePast: false);
        spoil(exported);
        return Assert.Throws<InvalidDataException>(() => OnnxWeightImporter.Import(exported)).Message;
    }

    private static void RewriteConfig(string folder, Action<JsonObject> change)
    {
        string path = Path.Combine(folder, OnnxExporter.ConfigFile);
        JsonObject config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(config);
        File.WriteAllText(path, config.ToJsonString());
    }

    private static void RewriteModel(string folder, Action<ModelProto> change)
    {
        string path = Path.Combine(folder, OnnxExporter.ModelFile);
        ModelProto model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        change(model);
        File.WriteAllBytes(path, model.ToByteArray());
    }
}
