using TorchSharp;

namespace Distill.StudentTrainer.Distillation;

/// <summary>The state of torch's default random generator as text, for checkpoints.</summary>
public static class TorchRandomState
{
    public static string Capture()
    {
        using torch.Tensor state = torch.random.get_rng_state();
        return Convert.ToBase64String(state.data<byte>().ToArray());
    }

    public static void Restore(string base64)
    {
        byte[] bytes = Convert.FromBase64String(base64);
        using torch.Tensor state = torch.tensor(bytes, torch.ScalarType.Byte);
        torch.random.set_rng_state(state);
    }
}
