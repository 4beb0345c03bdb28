using System.Text.Json;
using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

/// <summary>
/// The Hugging Face folders under tests/fixtures/huggingface (copied to the test output), written by
/// hf_reference.py with PyTorch mirrors of transformers' models, each with reference.json: two rows of input ids (the
/// second right-padded), their attention mask and the float32 log-softmax of the logits, [B][T][V].
/// </summary>
internal static class HuggingFaceFixtures
{
    public static readonly string[] Cases =
        ["gpt2", "gpt2-noprefix", "llama", "llama-tied-bias", "llama-bf16", "llama-sharded", "mistral", "qwen2", "qwen3"];

    public static TheoryData<string> All => new(Cases);

    public static string Folder(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "huggingface", name);

    /// <summary>A copy of a fixture folder in a fresh temporary folder, for tests that change files.</summary>
    public static string CopyToTemporary(string name, TemporaryFolder temporary)
    {
        string target = Path.Combine(temporary.Path, name);
        Directory.CreateDirectory(target);
        foreach (string file in Directory.EnumerateFiles(Folder(name)))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return target;
    }

    public static Reference ReadReference(string name)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder(name), "reference.json")));
        JsonElement root = doc.RootElement;
        long[][] ids = root.GetProperty("input_ids").Deserialize<long[][]>()!;
        long[][] mask = root.GetProperty("attention_mask").Deserialize<long[][]>()!;
        float[][][] logprobs = root.GetProperty("logprobs").Deserialize<float[][][]>()!;
        int b = ids.Length, t = ids[0].Length, v = logprobs[0][0].Length;
        return new Reference(
            tensor(ids.SelectMany(r => r).ToArray(), [b, t]),
            tensor(mask.SelectMany(r => r).ToArray(), [b, t]),
            tensor(logprobs.SelectMany(r => r.SelectMany(p => p)).ToArray(), [b, t, v]));
    }

    /// <summary>Reference inputs and log-probs, (B, T) int64 ids and mask, (B, T, V) float32 log-probs.</summary>
    public sealed record Reference(Tensor InputIds, Tensor AttentionMask, Tensor LogProbs) : IDisposable
    {
        public void Dispose()
        {
            InputIds.Dispose();
            AttentionMask.Dispose();
            LogProbs.Dispose();
        }
    }

    /// <summary>Every tensor of a model's state dict, by name, as a CPU float32 copy.</summary>
    public static Dictionary<string, Tensor> Weights(CausalLm model) =>
        model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().to(ScalarType.Float32, CPU).clone());

    /// <summary>The raw bytes of each tensor of a safetensors file, by name, with its dtype and shape.</summary>
    public static Dictionary<string, (string Dtype, long[] Shape, byte[] Bytes)> RawTensors(string path)
    {
        IReadOnlyDictionary<string, SafetensorsEntry> header = SafetensorsFile.ReadHeader(path);
        Dictionary<string, Tensor> tensors = SafetensorsFile.Read(path, header.Keys.ToList());
        var result = header.ToDictionary(p => p.Key, p => (p.Value.Dtype, p.Value.Shape, tensors[p.Key].bytes.ToArray()));
        foreach (Tensor t in tensors.Values) t.Dispose();
        return result;
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TemporaryFolder : IDisposable
{
    public TemporaryFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "distill-hf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
