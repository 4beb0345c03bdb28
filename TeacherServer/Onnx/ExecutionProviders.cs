namespace Distill.TeacherServer.Onnx;

/// <summary>Values of the ExecutionProvider option.</summary>
public static class ExecutionProviders
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";
}
