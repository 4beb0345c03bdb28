using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace Distill.TeacherServer.Onnx;

/// <summary>ONNX Runtime session options from the server's options.</summary>
public static class SessionOptionsFactory
{
    /// <summary>Where ORT looks for external-data files when the model itself is loaded from bytes.</summary>
    public const string ExternalInitializersFolderKey = "session.model_external_initializers_file_folder_path";

    public static SessionOptions Create(string executionProvider, int intraOpThreads, string modelFolder)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        try
        {
            if (intraOpThreads > 0)
            {
                options.IntraOpNumThreads = intraOpThreads;
            }
            options.AddSessionConfigEntry(ExternalInitializersFolderKey, modelFolder);
            if (executionProvider == ExecutionProviders.Cuda)
            {
#if DISTILL_GPU
                options.AppendExecutionProvider_CUDA(0);
#else
                throw new InvalidOperationException("This build has no CUDA support: build with -p:DistillGpu=true.");
#endif
            }
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
