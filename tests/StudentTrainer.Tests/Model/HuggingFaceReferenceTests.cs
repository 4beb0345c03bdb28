using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

/// <summary>Each family's log-probs against PyTorch's, computed by hf_reference.py from the same folders.</summary>
public class HuggingFaceReferenceTests
{
    public static TheoryData<string> Cases => HuggingFaceFixtures.All;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Log_probs_of_real_positions_equal_the_pytorch_reference(string name)
    {
        using HuggingFaceFixtures.Reference reference = HuggingFaceFixtures.ReadReference(name);
        using CausalLm model = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder(name));
        using Tensor logits = model.Forward(reference.InputIds, reference.AttentionMask);
        using Tensor logProbs = logits.log_softmax(-1);
        using Tensor real = reference.AttentionMask.to_type(ScalarType.Bool);                     // (B, T)
        Assert.True(reference.AttentionMask.eq(0).any().item<bool>(), "the second row is padded");
        using Tensor difference = logProbs.sub(reference.LogProbs).abs().amax([-1]);               // (B, T)
        double worst = difference.masked_select(real).max().item<float>();
        Assert.True(worst <= 1e-4, $"{name}: largest log-prob difference at a real position {worst:G3}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loaded_weights_are_float32_and_the_config_keeps_the_stored_dtype(string name)
    {
        using CausalLm model = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder(name));
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        string stored = name switch { "llama-bf16" => "bfloat16", "qwen2" => "float16", _ => "float32" };
        Assert.Equal(stored, model.Config.TorchDtype);
    }
}
