"""Step wait-for-adapter: wait until the adapter is servable and answers a request."""

from typing import Annotated

from hera.workflows import Output, Parameter

from steps import platforms
from steps.io import TrackedInput


class WaitForAdapterInput(TrackedInput):
    base_model: Annotated[str, Parameter(description="Base model id")]
    adapter_id: Annotated[str, Parameter(description="Adapter from the customize step")]


class WaitForAdapterOutput(Output):
    model_id: Annotated[str, Parameter(name="model_id", description="Model id to send requests to")]


def wait_for_adapter(inputs: WaitForAdapterInput) -> WaitForAdapterOutput:
    platform = platforms.build()
    model = platform.inference.chat_model(inputs.base_model, inputs.adapter_id)
    reply = model.create([{"role": "user", "content": "ping"}], max_tokens=4)
    served = {m["id"] for m in model.models()["data"]}
    with platform.tracker.step_run(inputs.mlflow_run_id, "wait-for-adapter") as mlflow:
        mlflow.set_tags({"adapter_id": inputs.adapter_id, "served_models": ",".join(sorted(served))})
    print(f"adapter {inputs.adapter_id} answers ({reply['usage']['completion_tokens']} tokens)")
    return WaitForAdapterOutput(model_id=inputs.adapter_id)
