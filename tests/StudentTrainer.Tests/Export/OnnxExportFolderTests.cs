using System.Text.Json;
using Distill.Shared.Onnx;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>What the exported folder holds besides correct logits: config.json, tokenizer files, the ONNX header.</summary>
public sealed class OnnxExportFolderTests : IDisposable
{
    private readonly ExportTestFolder _folder = new();

    [Fact]
    public void Config_json_is_the_students_Hugging_Face_config_with_the_tokenizers_ids_and_the_export()
    {
        ModelConfig config = RandomGpt.Config(vocab: 300, context: 32, embedding: 48, layers: 2, heads: 4, exactGelu: false);
        using CausalLm model = RandomGpt.Create(config, seed: 21);
        string folder = _folder.NewFolder("config");
        OnnxExporter.Export(model, _folder.Tokenizer, folder, new OnnxExportOptions { IncludeEmptyPastKeyValues = true });

        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, OnnxExporter.ConfigFile)));
        JsonElement root = json.RootElement;
        Assert.Equal("gpt2", root.GetProperty("model_type").GetString());
        Assert.Equal(["GPT2LMHeadModel"], root.GetProperty("architectures").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(300, root.GetProperty("vocab_size").GetInt32());
        Assert.Equal(32, root.GetProperty("n_positions").GetInt32());
        Assert.Equal(48, root.GetProperty("n_embd").GetInt32());
        Assert.Equal(2, root.GetProperty("n_layer").GetInt32());
        Assert.Equal(4, root.GetProperty("n_head").GetInt32());
        Assert.Equal(ExportTestFolder.EndOfTextId, root.GetProperty("bos_token_id").GetInt32());
        Assert.Equal(ExportTestFolder.EndOfTextId, root.GetProperty("eos_token_id").GetInt32());
        Assert.Equal(1e-5, root.GetProperty("layer_norm_epsilon").GetDouble());
        Assert.Equal("gelu_new", root.GetProperty("activation_function").GetString());
        Assert.Equal("float32", root.GetProperty("torch_dtype").GetString());
        Assert.True(root.GetProperty("use_cache").GetBoolean());
        JsonElement distill = root.GetProperty("distill");
        Assert.Equal(OnnxExporter.ExporterVersion, distill.GetProperty("exporter_version").GetString());
        Assert.Equal(17, distill.GetProperty("opset").GetInt32());
        Assert.True(distill.GetProperty("past_key_values").GetBoolean());
        Assert.Equal(model.ParameterCount, distill.GetProperty("parameters").GetInt64());
    }

    [Fact]
    public void Folder_holds_the_Hugging_Face_files_the_tokenizer_and_an_opset_17_model_with_float32_raw_weights_and_no_temporary_files()
    {
        using CausalLm model = RandomGpt.Create(RandomGpt.Config(300, 32, 32, 1, 2, exactGelu: true), seed: 22);
        string folder = _folder.NewFolder("layout");
        OnnxExporter.Export(model, _folder.Tokenizer, folder);
        OnnxExporter.Export(model, _folder.Tokenizer, folder); // exporting over an earlier export replaces it

        Assert.Equal(["config.json", "generation_config.json", "merges.txt", "model.onnx", "model.safetensors", "vocab.json"],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        LoadedTokenizer tokenizer = TokenizerLoader.Load(folder);
        Assert.Equal(TokenizerLoader.Load(_folder.Tokenizer).Fingerprint, tokenizer.Fingerprint);
        Assert.Equal(ExportTestFolder.EndOfTextId, tokenizer.EosId);

        ModelProto onnx = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, OnnxExporter.ModelFile)));
        Assert.Equal(8, onnx.IrVersion);
        Assert.Equal(17, Assert.Single(onnx.OpsetImport, o => o.Domain == "").Version);
        TensorProto wte = Assert.Single(onnx.Graph.Initializer, t => t.Name == "transformer.wte.weight");
        Assert.Equal((int)TensorProto.Types.DataType.Float, wte.DataType);
        Assert.Equal([300L, 32L], wte.Dims);
        Assert.Equal(300 * 32 * sizeof(float), wte.RawData.Length);
        using var reference = model.named_parameters().Single(p => p.name == "transformer.wte.weight").parameter.detach();
        Assert.Equal(reference[3, 5].item<float>(), BitConverter.ToSingle(wte.RawData.Span[((3 * 32 + 5) * sizeof(float))..]));
        Assert.Equal(["logits", "present.0.key", "present.0.value"], onnx.Graph.Output.Select(o => o.Name));
        using JsonDocument generation = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, OnnxExporter.GenerationConfigFile)));
        Assert.Equal(ExportTestFolder.EndOfTextId, generation.RootElement.GetProperty("eos_token_id").GetInt32());
    }

    [Fact]
    public void A_tokenizer_larger_than_the_model_vocabulary_is_rejected()
    {
        using CausalLm model = RandomGpt.Create(RandomGpt.Config(vocab: 200, 16, 16, 1, 1, exactGelu: true), seed: 23);
        string folder = _folder.NewFolder("too-small");
        var error = Assert.Throws<InvalidDataException>(() => OnnxExporter.Export(model, _folder.Tokenizer, folder));
        Assert.Contains("257 tokens", error.Message);
        Assert.False(File.Exists(Path.Combine(folder, OnnxExporter.ModelFile)));
    }

    public void Dispose() => _folder.Dispose();
}
